package dev.autoif.workflows.activities.store;

/** The record {@link RecordInstructionRequest} stored for the instruction at {@code index}. */
public record ReadInstructionRequest(String outputDir, int index, String instructionId) {}
