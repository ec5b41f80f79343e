package dev.autoif.workflows.dpo;

import dev.autoif.workflows.activities.llm.LlmSettings;

/**
 * What a round workflow does, resolved by the parent from {@link OnlineDpoInput}.
 *
 * @param runId    the online DPO workflow's id (accounting, container labels, child ids)
 * @param policy   this round's endpoint with temperature and seed filled in
 * @param pairSeed seed of the pair draws
 * @param cursor   internal: where a continued-as-new run resumes; null at the start of the round
 */
public record DpoRoundTask(
        String runId,
        int round,
        LlmSettings policy,
        int samplesPerPrompt,
        int evaluationTimeoutSeconds,
        int maxConcurrentPrompts,
        int promptsPerPage,
        int llmRetryInitialIntervalMillis,
        long pairSeed,
        String campaignDir,
        String roundDir,
        TrainingCommand training,
        String previousCheckpoint,
        DpoRoundCursor cursor) {

    public DpoRoundTask at(DpoRoundCursor next) {
        return new DpoRoundTask(runId, round, policy, samplesPerPrompt, evaluationTimeoutSeconds, maxConcurrentPrompts,
                promptsPerPage, llmRetryInitialIntervalMillis, pairSeed, campaignDir, roundDir, training,
                previousCheckpoint, next);
    }
}
