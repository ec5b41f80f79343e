package dev.autoif.worker.temporal;

import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.registration.WorkflowRegistration;
import dev.autoif.workflows.campaign.ExportActivities;
import dev.autoif.workflows.activities.store.CampaignStoreActivities;
import dev.autoif.workflows.activities.dpostore.DpoStoreActivities;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.sandbox.SandboxActivities;
import dev.autoif.workflows.activities.training.TrainingActivities;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers workflows and activities on their task queues — one worker per resource, so LLM
 * calls and sandbox containers are bounded separately — and shuts them down gracefully. A process
 * polls only the queues it is given ({@code AUTOIF_TASK_QUEUES}), so hosts can be specialised: a
 * GPU host polls {@code autoif-training}, Docker hosts {@code autoif-sandbox}, and so on.
 */
public final class WorkerRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);

    /** How many of each kind of activity one worker process runs at once. */
    public record Concurrency(int llmCalls, int sandboxContainers, int storeOperations, int nliJudgements) {}

    private final WorkerFactory factory;
    private final Set<String> queues;
    private final Worker workflows;


    /**
     * @param tracing Temporal's tracing interceptor, when traces are exported
     * @param queues  the task queues to poll (see {@link #queues(String)}); the others are left to other processes
     */
    public WorkerRuntime(WorkflowClient client, Optional<WorkerInterceptor> tracing, Concurrency concurrency,
                         Set<String> queues, LlmActivities llm, SandboxActivities sandbox, CampaignStoreActivities store,
                         ExportActivities export) {
        this.factory = WorkerFactory.newInstance(client, WorkerFactoryOptions.newBuilder()
                .setWorkerInterceptors(tracing.stream().toArray(WorkerInterceptor[]::new))
                .build());
        this.queues = queues;
        this.workflows = worker(TaskQueues.WORKFLOWS, slots(concurrency.storeOperations()));
        if (workflows != null) {
            WorkflowRegistration.register(workflows);
            workflows.registerActivitiesImplementations(store, export);
        }
        register(TaskQueues.LLM, llmCalls(concurrency.llmCalls()), llm);
        register(TaskQueues.SANDBOX, slots(concurrency.sandboxContainers()), sandbox);
        // The same LLM activities: on this queue they only get S5 of "onnx" campaigns (the workflow routes them here).
        register(TaskQueues.NLI, heartbeatingEvery(slots(concurrency.nliJudgements())), llm);
    }

    /**
     * The task queues named in {@code setting} (comma-separated), or all of them when it is blank.
     *
     * @throws IllegalArgumentException naming an unknown queue
     */
    public static Set<String> queues(String setting) {
        if (setting == null || setting.isBlank()) {
            return new LinkedHashSet<>(TaskQueues.ALL);
        }
        Set<String> chosen = new LinkedHashSet<>();
        for (String name : Arrays.stream(setting.split(",")).map(String::strip).filter(q -> !q.isEmpty()).toList()) {
            if (!TaskQueues.ALL.contains(name)) {
                throw new IllegalArgumentException("AUTOIF_TASK_QUEUES: unknown task queue '" + name + "' (known: "
                        + String.join(", ", TaskQueues.ALL) + ")");
            }
            chosen.add(name);
        }
        return chosen;
    }

    private static WorkerOptions.Builder slots(int activities) {
        return WorkerOptions.newBuilder().setMaxConcurrentActivityExecutionSize(activities);
    }

    /**
     * The LLM queue's worker, sized from the endpoint limiter's cap: its activities mostly wait for HTTP, so they run
     * on virtual threads; twice the cap in slots, so that the cap, not the slots, bounds the requests in flight while
     * finished activities report back and new ones start (those beyond the cap wait for the limiter); a poller per
     * 16 slots (2 to 16) to keep the slots filled.
     */
    public static WorkerOptions.Builder llmCalls(int cap) {
        return heartbeatingEvery(slots(2 * cap))
                .setUsingVirtualThreadsOnActivityWorker(true)
                .setMaxConcurrentActivityTaskPollers(Math.max(2, Math.min(16, 2 * cap / 16)));
    }

    /** Every heartbeat of a running LLM call reaches the server: a cancellation stops it in seconds. */
    private static WorkerOptions.Builder heartbeatingEvery(WorkerOptions.Builder options) {
        return options.setMaxHeartbeatThrottleInterval(LlmActivitiesImpl.HEARTBEAT_EVERY);
    }

    private Worker worker(String queue, WorkerOptions.Builder options) {
        return queues.contains(queue) ? factory.newWorker(queue, options.build()) : null;
    }

    private void register(String queue, WorkerOptions.Builder options, Object activities) {
        Worker w = worker(queue, options);
        if (w != null) {
            w.registerActivitiesImplementations(activities);
        }
    }

    /** Whether this process polls {@code queue}. */
    public boolean polls(String queue) {
        return queues.contains(queue);
    }

    /**
     * Online DPO: its file store on the workflows queue, and the training command on {@link TaskQueues#TRAINING}
     * ({@code trainingSlots} commands at once per worker; one per GPU host is usual), each where this process polls
     * it. Call before {@link #start()}.
     */
    public void registerOnlineDpo(DpoStoreActivities store, TrainingActivities training, int trainingSlots) {
        if (workflows != null) {
            workflows.registerActivitiesImplementations(store);
        }
        register(TaskQueues.TRAINING, slots(trainingSlots), training);
    }

    public void start() {
        factory.start();
        List<String> polled = new ArrayList<>(TaskQueues.ALL);
        polled.retainAll(queues);
        log.info("worker polling {}", String.join(", ", polled));
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
