package dev.autoif.workflows.activities.store;

/** Stage 2: stores one prompt's responses, verdicts and pairs. */
public record RecordPromptRequest(String outputDir, PromptRecord record) {}
