package dev.autoif.workflows.activities.store;

/** Stage 2: stores the instruction's summary, after all its prompts. */
public record RecordResponsesRequest(String outputDir, ResponseStageRecord record) {}
