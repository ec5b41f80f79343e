package dev.autoif.workflows.activities.llm;

import java.util.List;

/** S8: score each response to one (instruction, query) prompt {@code samplesPerResponse} times. */
public record JudgeRequest(String campaignId, String instruction, String query, List<String> responses,
                           LlmSettings judge, int samplesPerResponse) {}
