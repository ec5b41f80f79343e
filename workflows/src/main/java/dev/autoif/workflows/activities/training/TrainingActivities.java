package dev.autoif.workflows.activities.training;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Online DPO's training step: the user's own command (TRL, LLaMA-Factory, a script...), run as an external process on
 * {@code TaskQueues.TRAINING}. The activity heartbeats while the command runs and kills its whole process tree when
 * the workflow is cancelled or the attempt times out. Its failure types are the {@code TRAINING_*} ones of
 * {@code FailureTypes}.
 */
@ActivityInterface
public interface TrainingActivities {
    /**
     * Runs one round's training command. Idempotent: when a previous attempt already finished this round (its
     * {@code training.done.json} marker exists in the round directory), the recorded result is returned and nothing
     * is run again.
     */
    @ActivityMethod(name = "RunDpoTraining")
    TrainingResult train(TrainingRequest request);
}
