package dev.autoif.workflows.activities.dpostore;

import dev.autoif.workflows.activities.llm.LlmUsage;
import java.util.List;

/**
 * One finished online DPO round, as recorded in {@code round-N/round.json}.
 *
 * @param prompts            prompts read
 * @param promptsFailed      prompts skipped because sampling or scoring failed for good (see {@code failures})
 * @param responses          responses sampled and scored
 * @param truncatedResponses responses cut off by maxTokens: not scored, never in a pair
 * @param promptsWithPairs   prompts that yielded at least one pair
 * @param pairs              rows of {@code pairsFile}
 * @param checkpoint         the directory the training command wrote
 * @param trainingExitCode   the training command's exit status
 * @param trainingReused     true when a previous attempt had finished training and it was not run again
 * @param failures           up to 5 examples of why prompts failed
 * @param sampledCheckpoint  the checkpoint the round's policy was trained into: the previous round's {@code checkpoint}
 *                           (which its policy endpoint is meant to serve), null in round 1 (the endpoint's own model)
 */
public record DpoRoundResult(
        int round,
        String policyBaseUrl,
        String policyModel,
        long prompts,
        long promptsFailed,
        long responses,
        long truncatedResponses,
        long promptsWithPairs,
        long pairs,
        String pairsFile,
        String checkpoint,
        int trainingExitCode,
        String trainingLog,
        long trainingSeconds,
        boolean trainingReused,
        List<String> failures,
        List<LlmUsage> llmUsage,
        String sampledCheckpoint) {}
