package dev.autoif.workflows.dpo;

/**
 * What the {@code progress} query answers.
 *
 * @param round           the round running now (1-based; 0 before the first starts)
 * @param rounds          rounds in total
 * @param stage           "sampling", "training" or "done"
 * @param promptsDone     prompts of the current round sampled and scored so far
 * @param pairs           pairs of the current round so far
 * @param totalPairs      pairs of all rounds so far
 * @param completedRounds rounds finished
 */
public record OnlineDpoProgress(int round, int rounds, String stage, long promptsDone, long pairs, long totalPairs,
                                int completedRounds) {}
