package dev.autoif.workflows.activities.store;

/** Stores one instruction's full record (lineage, pass matrix, verdict) in the campaign. */
public record RecordInstructionRequest(String outputDir, InstructionRecord record) {}
