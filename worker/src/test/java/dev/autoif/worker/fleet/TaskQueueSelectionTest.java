package dev.autoif.worker.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.autoif.activities.telemetry.Telemetry;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.WorkerAssembly;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.TemporalDevServer;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.TaskQueues;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker started with AUTOIF_TASK_QUEUES polls only those queues: checked on a dev server of the test's own (the
 * shared one's queues belong to everyone), by asking the server which queues have pollers.
 */
@Tag("dev-server")
class TaskQueueSelectionTest {
    @TempDir
    Path dir;

    @Test
    void aWorkerPollsOnlyTheQueuesItIsGiven() throws Exception {
        String cli = TemporalDevServer.findCli();
        assertNotNull(cli, "the temporal CLI is on PATH (.ci/run installs it)");
        TemporalDevServer.Started temporal = TemporalDevServer.start(cli, dir.resolve("temporal.db"),
                TemporalDevServer.freePort(), null, dir.resolve("temporal.log"));
        WorkflowServiceStubs stubs = temporal.stubs();
        try (TemporalDevServer server = temporal.server()) {
            AutoifSettings settings = new AutoifSettings(server.address(), "default", "http://127.0.0.1:9/v1", null, "m",
                    30, 4, "autoif/verifier:1", 1, 256, dir.resolve("data").toString())
                    .forFleet(null, 0, 30, " autoif-llm, autoif-nli ");
            try (WorkerRuntime worker = WorkerAssembly.start(TemporalConnection.client(stubs, "default"), settings,
                    WorkerAssembly.llmDefaults(settings))) {
                Map<String, Integer> pollers = pollers(stubs);
                long deadline = System.nanoTime() + 30_000_000_000L;
                while ((pollers.get(TaskQueues.LLM) == 0 || pollers.get(TaskQueues.NLI) == 0) && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                    pollers = pollers(stubs);
                }
                assertEquals(Map.of(TaskQueues.WORKFLOWS, 0, TaskQueues.LLM, 1, TaskQueues.SANDBOX, 0, TaskQueues.NLI, 1,
                        TaskQueues.TRAINING, 0), pollers, "pollers per task queue");
            }
        } finally {
            stubs.shutdownNow();
        }
    }

    /** Pollers of each queue: workflow-task pollers for the workflows queue, activity-task pollers for all. */
    private static Map<String, Integer> pollers(WorkflowServiceStubs stubs) {
        Map<String, Integer> count = new TreeMap<>();
        for (String queue : TaskQueues.ALL) {
            int n = 0;
            for (TaskQueueType type : new TaskQueueType[] {TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                    TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}) {
                n += stubs.blockingStub().describeTaskQueue(DescribeTaskQueueRequest.newBuilder().setNamespace("default")
                        .setTaskQueue(TaskQueue.newBuilder().setName(queue).build()).setTaskQueueType(type).build())
                        .getPollersCount();
            }
            count.put(queue, n);
        }
        return count;
    }

    @Test
    void anUnknownQueueOrAFleetCapWithoutTheDatabaseIsRefusedNamingTheSetting() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> WorkerRuntime.queues("autoif-llm,autoif-gpu"));
        assertEquals("AUTOIF_TASK_QUEUES: unknown task queue 'autoif-gpu' (known: autoif-workflows, autoif-llm, "
                + "autoif-sandbox, autoif-nli, autoif-training)", unknown.getMessage());
        assertEquals(TaskQueues.ALL, java.util.List.copyOf(WorkerRuntime.queues("")));
        AutoifSettings settings = new AutoifSettings(null, "default", null, null, "m", 30, 4, "img", 1, 256,
                dir.toString()).forFleet(null, 16, 30, "");
        var noDatabase = assertThrows(IllegalStateException.class,
                () -> WorkerAssembly.gateway(settings, WorkerAssembly.llmDefaults(settings), Telemetry.none()));
        assertEquals("AUTOIF_LLM_GLOBAL_CONCURRENCY=16 needs AUTOIF_CACHE_JDBC_URL: the fleet's request permits live in "
                + "that PostgreSQL database", noDatabase.getMessage());
    }
}
