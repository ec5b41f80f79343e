package dev.autoif.workflows.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Online DPO's training step: the user's own command (TRL, LLaMA-Factory, a script...), run as an external process on
 * {@code TaskQueues.TRAINING}. The activity heartbeats while the command runs and kills its whole process tree when
 * the workflow is cancelled or the attempt times out.
 */
@ActivityInterface
public interface TrainingActivities {
    /** The command exited with a non-zero status: the failure's details are the exit code and the log's tail. */
    String TRAINING_COMMAND_FAILED = "TrainingCommandFailed";
    /** The command's executable does not exist or cannot be run. */
    String TRAINING_COMMAND_NOT_FOUND = "TrainingCommandNotFound";
    /** The command ran past its timeout and was killed. */
    String TRAINING_TIMED_OUT = "TrainingTimedOut";
    /** The command exited 0 but left nothing in its output directory. */
    String TRAINING_NO_CHECKPOINT = "TrainingWroteNoCheckpoint";

    /**
     * Runs one round's training command. Idempotent: when a previous attempt already finished this round (its
     * {@code training.done.json} marker exists in the round directory), the recorded result is returned and nothing
     * is run again.
     */
    @ActivityMethod(name = "RunDpoTraining")
    TrainingResult train(TrainingRequest request);
}
