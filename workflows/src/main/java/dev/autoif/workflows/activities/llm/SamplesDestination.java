package dev.autoif.workflows.activities.llm;

/**
 * Where an LLM activity stores the completions it bought, whole: the instruction's place in its campaign. S2 stores
 * its verifier completions and returns them without their raw text; S6 stores each prompt's responses and returns
 * only their digests (see {@link StoredResponses}). What needs the text (S7, S8, the records) reads it from the store,
 * so the completions cross the history once at most, instead of once per activity and record that handles them.
 *
 * @param outputDir        the campaign's location (a directory or s3://bucket/prefix)
 * @param instructionIndex the instruction's position in the campaign
 */
public record SamplesDestination(String outputDir, int instructionIndex, String instructionId) {}
