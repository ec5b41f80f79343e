package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.activities.PromptRecord;

/** Stage 2: stores one prompt's responses, verdicts and pairs. */
public record RecordPromptRequest(String outputDir, PromptRecord record) {}
