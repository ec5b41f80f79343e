package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * What the S1 calls produced.
 *
 * @param instructions every "- " item of every completion, in call order (duplicates included: merging them is
 *                     the store's job, so that it can record what was merged into what)
 * @param parseErrors  why a completion gave no item, one entry per such completion
 * @param usage        what the calls cost
 */
public record SelfInstructCompletions(List<String> instructions, List<String> parseErrors, List<LlmUsage> usage) {}
