package dev.autoif.workflows.activities.training;

/**
 * A finished training round.
 *
 * @param exitCode   the command's exit status (always 0: other statuses fail the activity)
 * @param checkpoint the directory the command wrote
 * @param logFile    the command's stdout and stderr, every attempt appended
 * @param seconds    how long the successful attempt ran
 * @param attempt    the activity attempt that ran it
 * @param reused     true when an earlier attempt had already finished the round and nothing was run
 */
public record TrainingResult(int exitCode, String checkpoint, String logFile, long seconds, int attempt, boolean reused) {}
