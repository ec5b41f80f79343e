package dev.autoif.workflows.activities.llm;

/**
 * Where S2's activity stores the completions it bought, whole: the instruction's place in its campaign. The activity
 * returns them without their raw text, and the instruction's record is completed from the store when it is written,
 * so the completions cross the history once, parsed, instead of twice (the activity's result, then the record).
 *
 * @param outputDir        the campaign's location (a directory or s3://bucket/prefix)
 * @param instructionIndex the instruction's position in the campaign
 */
public record SamplesDestination(String outputDir, int instructionIndex, String instructionId) {}
