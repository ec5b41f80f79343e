package dev.autoif.workflows.activities.sandbox;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Untrusted verifier code, executed only in throwaway containers. Run on {@code TaskQueues.SANDBOX}. */
@ActivityInterface
public interface SandboxActivities {
    @ActivityMethod(name = "EvaluateVerifiers")
    EvaluationResult evaluate(EvaluationBatch batch);
}
