package dev.autoif.workflows.activities.store;

/** Up to {@code limit} instructions of the campaign's list, from position {@code offset}. */
public record ReadInstructionsRequest(String outputDir, int offset, int limit) {}
