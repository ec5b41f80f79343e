package dev.autoif.worker.temporal;

import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WorkflowRegistration;
import dev.autoif.workflows.activities.CampaignStoreActivities;
import dev.autoif.workflows.activities.DpoStoreActivities;
import dev.autoif.workflows.activities.LlmActivities;
import dev.autoif.workflows.activities.SandboxActivities;
import dev.autoif.workflows.activities.TrainingActivities;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers workflows and activities on their task queues — one worker per resource, so LLM
 * calls and sandbox containers are bounded separately — and shuts them down gracefully.
 */
public final class WorkerRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);

    /** How many of each kind of activity one worker process runs at once. */
    public record Concurrency(int llmCalls, int sandboxContainers, int storeOperations) {}

    private final WorkerFactory factory;
    private final Worker workflows;

    /** @param tracing Temporal's tracing interceptor, when traces are exported */
    public WorkerRuntime(WorkflowClient client, Optional<WorkerInterceptor> tracing, Concurrency concurrency,
                         LlmActivities llm, SandboxActivities sandbox, CampaignStoreActivities store) {
        this.factory = WorkerFactory.newInstance(client, WorkerFactoryOptions.newBuilder()
                .setWorkerInterceptors(tracing.stream().toArray(WorkerInterceptor[]::new))
                .build());
        this.workflows = factory.newWorker(TaskQueues.WORKFLOWS, WorkerOptions.newBuilder()
                .setMaxConcurrentActivityExecutionSize(concurrency.storeOperations())
                .build());
        WorkflowRegistration.register(workflows);
        workflows.registerActivitiesImplementations(store);

        factory.newWorker(TaskQueues.LLM, WorkerOptions.newBuilder()
                        .setMaxConcurrentActivityExecutionSize(concurrency.llmCalls())
                        // Every heartbeat of a running LLM call reaches the server: a cancellation stops it in seconds.
                        .setMaxHeartbeatThrottleInterval(LlmActivitiesImpl.HEARTBEAT_EVERY)
                        .build())
                .registerActivitiesImplementations(llm);
        factory.newWorker(TaskQueues.SANDBOX, WorkerOptions.newBuilder()
                        .setMaxConcurrentActivityExecutionSize(concurrency.sandboxContainers())
                        .build())
                .registerActivitiesImplementations(sandbox);
    }

    /**
     * Online DPO: its file store on the workflows queue, and the training command on {@link TaskQueues#TRAINING}
     * ({@code trainingSlots} commands at once per worker; one per GPU host is usual). Call before {@link #start()}.
     */
    public void registerOnlineDpo(DpoStoreActivities store, TrainingActivities training, int trainingSlots) {
        workflows.registerActivitiesImplementations(store);
        factory.newWorker(TaskQueues.TRAINING, WorkerOptions.newBuilder()
                        .setMaxConcurrentActivityExecutionSize(trainingSlots)
                        .build())
                .registerActivitiesImplementations(training);
    }

    public void start() {
        factory.start();
        log.info("worker polling {}, {}, {}, {}", TaskQueues.WORKFLOWS, TaskQueues.LLM, TaskQueues.SANDBOX,
                TaskQueues.TRAINING);
    }

    /** Stops polling, lets running tasks finish for a while, then gives up on them (Temporal retries them elsewhere). */
    @Override
    public void close() {
        factory.shutdown();
        factory.awaitTermination(20, TimeUnit.SECONDS);
        if (!factory.isTerminated()) {
            factory.shutdownNow();
            factory.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
