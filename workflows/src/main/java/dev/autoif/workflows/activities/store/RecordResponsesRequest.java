package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.activities.ResponseStageRecord;

/** Stage 2: stores the instruction's summary, after all its prompts. */
public record RecordResponsesRequest(String outputDir, ResponseStageRecord record) {}
