package dev.autoif.workflows.dpo;

import dev.autoif.workflows.activities.dpostore.DpoRoundResult;
import dev.autoif.workflows.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;

/**
 * Online DPO: the rounds one after another, each a child workflow ({@link OnlineDpoRoundWorkflowImpl}) so that this
 * run's history stays a few events per round. Round N+1 starts only after round N's training finished, and its
 * training command is told round N's checkpoint.
 */
public class OnlineDpoWorkflowImpl implements OnlineDpoWorkflow {
    private int round;
    private int rounds;
    private String stage = "starting";
    private long promptsDone;
    private long pairs;
    private long pairsOfCompletedRounds;
    private int completedRounds;

    @Override
    public OnlineDpoResult run(OnlineDpoInput input) {
        OnlineDpoConfig config;
        try {
            config = OnlineDpoConfig.from(input);
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure("invalid online DPO input: " + e.getMessage(),
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        String runId = Workflow.getInfo().getWorkflowId();
        rounds = config.policies().size();
        List<DpoRoundResult> results = new ArrayList<>();
        String previousCheckpoint = null;
        for (int i = 1; i <= rounds; i++) {
            round = i;
            stage = "sampling";
            promptsDone = 0;
            pairs = 0;
            DpoRoundTask task = new DpoRoundTask(runId, i, config.policies().get(i - 1), config.samplesPerPrompt(),
                    config.evaluationTimeoutSeconds(), config.maxConcurrentPrompts(), config.promptsPerPage(),
                    config.llmRetryInitialIntervalMillis(), config.seed() + i, config.campaignDir(), config.roundDir(i),
                    config.training(), previousCheckpoint, null);
            OnlineDpoRoundWorkflow child = Workflow.newChildWorkflowStub(OnlineDpoRoundWorkflow.class,
                    ChildWorkflowOptions.newBuilder().setWorkflowId(runId + "-round-" + i).build());
            DpoRoundResult result;
            try {
                result = child.run(task);
            } catch (ChildWorkflowFailure e) {
                if (e.getCause() instanceof CanceledFailure) {
                    throw e;
                }
                // The user reads the top-level failure: give it the round's own message, not "child workflow failed".
                ApplicationFailure af = innermostApplicationFailure(e);
                if (af != null) {
                    throw ApplicationFailure.newNonRetryableFailure("round " + i + ": " + af.getOriginalMessage(),
                            af.getType());
                }
                throw ApplicationFailure.newNonRetryableFailure("round " + i + ": "
                        + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), FailureTypes.ONLINE_DPO_ROUND_FAILED);
            }
            results.add(result);
            pairs = result.pairs();
            promptsDone = result.prompts();
            pairsOfCompletedRounds += result.pairs();
            completedRounds = i;
            previousCheckpoint = result.checkpoint();
        }
        stage = "done";
        pairs = 0;
        return new OnlineDpoResult(config.outputDir(), results, previousCheckpoint);
    }

    /** The failure closest to its origin (an activity's own message rather than "activity task failed"). */
    static ApplicationFailure innermostApplicationFailure(Throwable t) {
        ApplicationFailure found = null;
        for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof ApplicationFailure af) {
                found = af;
            }
        }
        return found;
    }

    @Override
    public OnlineDpoProgress progress() {
        long current = completedRounds == round ? 0 : pairs;
        return new OnlineDpoProgress(round, rounds, stage, promptsDone, pairs, pairsOfCompletedRounds + current,
                completedRounds);
    }

    @Override
    public void roundProgress(DpoRoundProgress p) {
        if (p.round() == round && completedRounds < round) {
            stage = p.stage();
            promptsDone = p.promptsDone();
            pairs = p.pairs();
        }
    }
}
