package dev.autoif.workflows.activities;

import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.store.CampaignStoreActivities;
import dev.autoif.workflows.activities.dpostore.DpoStoreActivities;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.sandbox.SandboxActivities;
import dev.autoif.workflows.activities.training.TrainingActivities;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/**
 * The one home of every activity's options (task queue, timeouts, heartbeat timeout, retry policy): workflows get
 * their activity stubs here. The stub factories may only be called from workflow code; the options are plain values.
 */
public final class ActivityStubs {
    /** First LLM retry back-off when the campaign sets none (its llmRetryInitialIntervalMillis is 0). */
    static final Duration DEFAULT_LLM_RETRY_INITIAL_INTERVAL = Duration.ofSeconds(1);
    /** The training activity heartbeats every second; cancellation reaches it within 0.8 x this. */
    public static final Duration TRAINING_HEARTBEAT_TIMEOUT = Duration.ofSeconds(10);

    private ActivityStubs() {}

    /**
     * LLM calls: Temporal is the only retry layer; the first back-off is the campaign's (default 1 s). The activity
     * heartbeats every 5 s: a killed worker's call is retried after 30 s, not 15 min.
     */
    public static ActivityOptions llmOptions(int retryInitialIntervalMillis, String taskQueue) {
        return ActivityOptions.newBuilder()
                .setTaskQueue(taskQueue)
                .setStartToCloseTimeout(Duration.ofMinutes(15))
                .setHeartbeatTimeout(Duration.ofSeconds(30))
                .setRetryOptions(RetryOptions.newBuilder()
                        .setInitialInterval(retryInitialIntervalMillis > 0
                                ? Duration.ofMillis(retryInitialIntervalMillis) : DEFAULT_LLM_RETRY_INITIAL_INTERVAL)
                        .setBackoffCoefficient(2.0)
                        .setMaximumInterval(Duration.ofMinutes(2))
                        .setMaximumAttempts(20)
                        .build())
                .build();
    }

    /** LLM calls on {@link TaskQueues#LLM}. */
    public static LlmActivities llm(int retryInitialIntervalMillis) {
        return llm(retryInitialIntervalMillis, TaskQueues.LLM);
    }

    public static LlmActivities llm(int retryInitialIntervalMillis, String taskQueue) {
        return Workflow.newActivityStub(LlmActivities.class, llmOptions(retryInitialIntervalMillis, taskQueue));
    }

    /** Verifier batches: the sandbox heartbeats every 5 s, so a killed worker's batch is retried after 20 s. */
    public static final ActivityOptions SANDBOX = ActivityOptions.newBuilder()
            .setTaskQueue(TaskQueues.SANDBOX)
            .setStartToCloseTimeout(Duration.ofMinutes(15))
            .setHeartbeatTimeout(Duration.ofSeconds(20))
            .setRetryOptions(RetryOptions.newBuilder()
                    .setInitialInterval(Duration.ofSeconds(2))
                    .setMaximumInterval(Duration.ofMinutes(1))
                    .setMaximumAttempts(10)
                    .build())
            .build();

    public static SandboxActivities sandbox() {
        return Workflow.newActivityStub(SandboxActivities.class, SANDBOX);
    }

    /** The campaign's store activities (preparing, paging): minutes for the large ones. */
    public static final ActivityOptions CAMPAIGN_STORE = ActivityOptions.newBuilder()
            .setTaskQueue(TaskQueues.WORKFLOWS)
            .setStartToCloseTimeout(Duration.ofMinutes(10))
            .build();

    public static CampaignStoreActivities campaignStore() {
        return Workflow.newActivityStub(CampaignStoreActivities.class, CAMPAIGN_STORE);
    }

    /**
     * The export streams the whole campaign: hours for a large one, so no tight start-to-close; a heartbeat per few
     * records shows it is alive, and a worker lost mid-export is noticed within the heartbeat timeout.
     */
    public static final ActivityOptions EXPORT = ActivityOptions.newBuilder()
            .setTaskQueue(TaskQueues.WORKFLOWS)
            .setStartToCloseTimeout(Duration.ofHours(12))
            .setHeartbeatTimeout(Duration.ofMinutes(2))
            .build();

    /**
     * Writes of one instruction's files take milliseconds: a short timeout retries one lost with a killed worker fast.
     */
    public static final ActivityOptions INSTRUCTION_STORE = ActivityOptions.newBuilder()
            .setTaskQueue(TaskQueues.WORKFLOWS)
            .setStartToCloseTimeout(Duration.ofSeconds(20))
            .build();

    public static CampaignStoreActivities instructionStore() {
        return Workflow.newActivityStub(CampaignStoreActivities.class, INSTRUCTION_STORE);
    }

    /**
     * The same writes as local activities (see CampaignStoreCalls.LOCAL_WRITES_CHANGE_ID): run by the worker of the
     * workflow task, which polls the workflows queue and so has the store activities; a worker killed mid-write loses
     * the workflow task, and the next one writes again.
     */
    public static final LocalActivityOptions INSTRUCTION_STORE_LOCAL = LocalActivityOptions.newBuilder()
            .setStartToCloseTimeout(INSTRUCTION_STORE.getStartToCloseTimeout())
            .build();

    public static CampaignStoreActivities instructionStoreLocal() {
        return Workflow.newLocalActivityStub(CampaignStoreActivities.class, INSTRUCTION_STORE_LOCAL);
    }

    /** Online DPO's store activities. */
    public static final ActivityOptions DPO_STORE = ActivityOptions.newBuilder()
            .setTaskQueue(TaskQueues.WORKFLOWS)
            .setStartToCloseTimeout(Duration.ofMinutes(10))
            .setRetryOptions(RetryOptions.newBuilder().setMaximumInterval(Duration.ofMinutes(1)).build())
            .build();

    public static DpoStoreActivities dpoStore() {
        return Workflow.newActivityStub(DpoStoreActivities.class, DPO_STORE);
    }

    /**
     * A training round's external command. The activity kills the command itself after {@code timeoutMinutes} and
     * says so; the two extra minutes let it. Cancelling the workflow waits until the activity has killed the process
     * tree. The command's own failures are not retried.
     */
    public static ActivityOptions trainingOptions(int timeoutMinutes) {
        return ActivityOptions.newBuilder()
                .setTaskQueue(TaskQueues.TRAINING)
                .setStartToCloseTimeout(Duration.ofMinutes(timeoutMinutes + 2L))
                .setHeartbeatTimeout(TRAINING_HEARTBEAT_TIMEOUT)
                .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
                .setRetryOptions(RetryOptions.newBuilder()
                        .setInitialInterval(Duration.ofSeconds(10))
                        .setMaximumAttempts(3)
                        .setDoNotRetry(FailureTypes.TRAINING_COMMAND_FAILED, FailureTypes.TRAINING_COMMAND_NOT_FOUND,
                                FailureTypes.TRAINING_TIMED_OUT, FailureTypes.TRAINING_NO_CHECKPOINT)
                        .build())
                .build();
    }

    public static TrainingActivities training(int timeoutMinutes) {
        return Workflow.newActivityStub(TrainingActivities.class, trainingOptions(timeoutMinutes));
    }
}
