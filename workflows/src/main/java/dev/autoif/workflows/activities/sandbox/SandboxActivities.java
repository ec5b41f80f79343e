package dev.autoif.workflows.activities.sandbox;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Untrusted verifier code, executed only in throwaway containers. Run on {@code TaskQueues.SANDBOX}. */
@ActivityInterface
public interface SandboxActivities {
    @ActivityMethod(name = "EvaluateVerifiers")
    EvaluationResult evaluate(EvaluationBatch batch);

    /**
     * S7 as {@link #evaluate}, of responses S6's activity stored (see
     * {@link dev.autoif.workflows.activities.llm.StoredResponses}): read from the campaign's store, so a sandbox worker
     * needs the store's settings too.
     */
    @ActivityMethod(name = "EvaluateStoredResponses")
    EvaluationResult evaluateStoredResponses(StoredEvaluationBatch batch);
}
