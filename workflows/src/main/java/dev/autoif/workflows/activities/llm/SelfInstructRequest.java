package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * S1: send the self-instruct prompt, which lists {@code seeds} as examples, {@code calls} times.
 *
 * @param seeds the campaign's (de-duplicated) seed instructions
 * @param calls K, the number of completions asked (each cached on its own)
 */
public record SelfInstructRequest(String campaignId, List<String> seeds, LlmSettings llm, int calls) {}
