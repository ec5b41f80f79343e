package dev.autoif.workflows.activities.llm;

/** S8 as {@link JudgeRequest}, the responses read from the campaign's store (see {@link StoredResponses}). */
public record StoredJudgeRequest(String campaignId, String instruction, String query, StoredResponses responses,
                                 LlmSettings judge, int samplesPerResponse) {}
