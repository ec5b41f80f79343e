package dev.autoif.activities.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Concurrent sandbox activity calls share containers and still get exactly the rows they would
 * get alone; when the shared container fails, each batch is re-run in a container of its own.
 */
@Tag("docker")
class SandboxCoalescingTest {
    static final String IMAGE = DockerSandboxTest.IMAGE;
    static DockerClient docker;

    @BeforeAll
    static void connect() {
        docker = DockerClients.create(4);
        new DockerSandbox(docker, SandboxSettings.defaults(IMAGE)).requireImage();
    }

    @AfterAll
    static void noContainerLeftBehind() {
        var left = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerSandbox.LABEL_ROLE, "verifier", DockerSandbox.LABEL_CAMPAIGN, "coalesce-test")).exec();
        assertEquals(0, left.size(), "verifier containers left behind: " + left);
    }

    /** Batches that differ per instruction: own functions (one hostile), own inputs, own sizes. */
    static List<EvaluationBatch> batches(int n) {
        List<EvaluationBatch> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> functions = new ArrayList<>(List.of(
                    "def evaluate(response):\n    return len(response.split()) >= " + (i % 4 + 1),
                    "import re\ndef evaluate(response):\n    return re.search(r'\\d', response) is not None",
                    "def evaluate(response):\n    return response.count('a') == " + i));
            if (i % 3 == 0) functions.add("import builtins\nbuiltins.len = lambda x: 0\ndef evaluate(response):\n    return 1 / 0");
            if (i % 3 == 1) functions.add("def evaluate(response):\n    return None");
            if (i == 2) functions.add("def evaluate(response)\n    return True");
            List<String> inputs = new ArrayList<>();
            for (int j = 0; j <= i % 5; j++) inputs.add("a".repeat(j) + " word " + j + " x".repeat(i));
            out.add(new EvaluationBatch("coalesce-test", "instruction-" + i, functions, inputs, 2));
        }
        return out;
    }

    static List<EvaluationResult> concurrently(SandboxActivitiesImpl activities, List<EvaluationBatch> batches,
                                               AtomicInteger heartbeats) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(batches.size());
        try {
            List<Future<EvaluationResult>> futures = new ArrayList<>();
            for (EvaluationBatch b : batches) {
                futures.add(pool.submit(() -> activities.evaluate(b, heartbeats::incrementAndGet)));
            }
            List<EvaluationResult> results = new ArrayList<>();
            for (Future<EvaluationResult> f : futures) results.add(f.get());
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentCallsShareOneContainerAndGetTheirOwnRows() throws Exception {
        List<EvaluationBatch> batches = batches(8);
        DockerSandbox separate = new DockerSandbox(docker, SandboxSettings.defaults(IMAGE));
        List<EvaluationResult> expected = new ArrayList<>();
        for (EvaluationBatch b : batches) expected.add(separate.evaluate(b, () -> { }));
        assertEquals(batches.size(), separate.containersCreated());

        DockerSandbox shared = new DockerSandbox(docker, SandboxSettings.defaults(IMAGE));
        // A window long enough for all threads to arrive even on a busy machine.
        SandboxActivitiesImpl activities = new SandboxActivitiesImpl(shared,
                new SandboxActivitiesImpl.Coalescing(Duration.ofSeconds(3), 64, 400_000, 2));
        List<EvaluationResult> actual = concurrently(activities, batches, new AtomicInteger());
        assertEquals(expected, actual, "coalesced rows must equal separate runs' rows");
        assertEquals(1, shared.containersCreated(), "8 concurrent calls must share one container");

        // A cap on groups splits the round: 8 calls, at most 3 per container -> 3 containers.
        DockerSandbox capped = new DockerSandbox(docker, SandboxSettings.defaults(IMAGE));
        List<EvaluationResult> cappedRows = concurrently(new SandboxActivitiesImpl(capped,
                new SandboxActivitiesImpl.Coalescing(Duration.ofSeconds(3), 3, 400_000, 8)), batches, new AtomicInteger());
        assertEquals(expected, cappedRows);
        assertEquals(3, capped.containersCreated());
    }

    @Test
    void aLoneCallIsUnchangedAndCoalescingCanBeTurnedOff() {
        EvaluationBatch b = batches(3).get(2);
        DockerSandbox plain = new DockerSandbox(docker, SandboxSettings.defaults(IMAGE));
        EvaluationResult expected = plain.evaluate(b, () -> { });
        DockerSandbox lone = new DockerSandbox(docker, SandboxSettings.defaults(IMAGE));
        assertEquals(expected, new SandboxActivitiesImpl(lone, SandboxActivitiesImpl.Coalescing.defaults(2)).evaluate(b, () -> { }));
        assertEquals(expected, new SandboxActivitiesImpl(lone, SandboxActivitiesImpl.Coalescing.off(2)).evaluate(b, () -> { }));
        assertEquals(2, lone.containersCreated());
    }

    @Test
    void aFailedSharedContainerFallsBackToOneContainerPerBatch() throws Exception {
        List<EvaluationBatch> batches = batches(4);
        DockerSandbox roomy = new DockerSandbox(docker, SandboxSettings.defaults(IMAGE));
        List<EvaluationResult> expected = new ArrayList<>();
        for (EvaluationBatch b : batches) expected.add(roomy.evaluate(b, () -> { }));
        // An output cap each batch's report fits under alone (~300-480 bytes) but the four together
        // (~1,360) do not: the shared container fails as a whole, every batch must still get its rows.
        SandboxSettings d = SandboxSettings.defaults(IMAGE);
        int cap = 1000;
        DockerSandbox tight = new DockerSandbox(docker, new SandboxSettings(IMAGE, d.memoryMb(), d.cpus(), d.pids(), d.tmpfsMb(),
                cap, d.batchDeadline()));
        AtomicInteger heartbeats = new AtomicInteger();
        List<EvaluationResult> actual = concurrently(new SandboxActivitiesImpl(tight,
                new SandboxActivitiesImpl.Coalescing(Duration.ofSeconds(3), 64, 400_000, 2)), batches, heartbeats);
        assertEquals(expected, actual);
        assertEquals(1 + batches.size(), tight.containersCreated(), "one failed shared container, then one per batch");
        assertTrue(heartbeats.get() >= 0);
    }
}
