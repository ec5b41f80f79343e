package dev.autoif.activities.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.autoif.activities.rlvr.RewardScorer;
import dev.autoif.activities.rlvr.RlvrExport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Warm containers (the reward service's) against a real Docker engine: the hostile verifier suite in a container that
 * has already served a batch, recycling after N batches and after tampering, and requests that share one warm
 * container one after another, a tampering one among them, each getting exactly its own rewards.
 */
@Tag("docker")
class WarmSandboxTest {
    static final String STARTS_B = "def evaluate(response):\n    return response.startswith('B')";
    static final String SHORT = "def evaluate(response):\n    return len(response) < 20";
    /** Leaves a System V shared memory segment behind: the container is no longer clean. */
    static final String LEAVE_SHM = "import ctypes\nlibc = ctypes.CDLL(None)\n"
            + "def evaluate(response):\n    return libc.shmget(4242, 4096, 0o1666) >= 0";
    /** Everything a verifier might try to reach a later request through its warm container. */
    static final String TAMPER = "import builtins, ctypes, os, signal, time\n"
            + "def evaluate(response):\n"
            + "    builtins.len = lambda x: 0\n"
            + "    ctypes.CDLL(None).shmget(777, 4096, 0o1666)\n"
            + "    if os.fork() == 0:\n"
            + "        os.setsid()\n"
            + "        for _ in range(600):\n"
            + "            try:\n"
            + "                os.kill(-1, signal.SIGKILL)\n"
            + "            except OSError:\n"
            + "                pass\n"
            + "            time.sleep(0.01)\n"
            + "        os._exit(0)\n"
            + "    open(os.path.expanduser('~/planted.py'), 'w').write('x = 1')\n"
            + "    return True";
    /** This run's containers carry it: other runs may share the engine. */
    static final String CAMPAIGN = "warm-test-" + java.util.UUID.randomUUID();
    static DockerClient docker;
    static DockerSandbox sandbox;

    @BeforeAll
    static void connect() {
        docker = DockerClients.create(4);
        sandbox = new DockerSandbox(docker, SandboxSettings.defaults(DockerSandboxTest.IMAGE));
        sandbox.requireImage();
    }

    @AfterAll
    static void noContainerLeftBehind() {
        var left = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerSandbox.LABEL_CAMPAIGN, CAMPAIGN)).exec();
        assertEquals(0, left.size(), "verifier containers left behind: " + left);
        var volumes = docker.listVolumesCmd().withFilter("label", List.of(DockerSandbox.LABEL_CAMPAIGN + "=" + CAMPAIGN)).exec().getVolumes();
        assertTrue(volumes == null || volumes.isEmpty(), "batch volumes left behind: " + volumes);
    }

    @Test
    void theHostileSuiteIsContainedInAWarmContainerThatAlreadyServedABatch() {
        try (WarmContainer warm = sandbox.startWarm(CAMPAIGN, Duration.ofMinutes(10))) {
            WarmContainer.Outcome first = warm.run(List.of(new DockerSandbox.Group(List.of(DockerSandboxTest.HONEST),
                    DockerSandboxTest.INPUTS)), 2);
            DockerSandboxTest.assertHonest(first.groups().get(0).rows().get(0), "nothing");
            assertTrue(first.clean(), "an honest batch leaves the container clean");
            WarmContainer.Outcome hostile = warm.run(List.of(new DockerSandbox.Group(DockerSandboxTest.hostileBetweenHonest(),
                    DockerSandboxTest.INPUTS)), 2);
            DockerSandboxTest.assertHostileContained(hostile.groups().get(0).rows());
            assertFalse(hostile.clean(), "fork bombs and monkeypatches are signs of tampering");
            assertEquals(2, warm.batches());
        }
    }

    @Test
    void aContainerIsReplacedAfterNBatchesAndAfterTampering() throws Exception {
        try (WarmSandboxPool pool = new WarmSandboxPool(sandbox, CAMPAIGN, 1, 2, Duration.ofMinutes(10))) {
            long before = sandbox.containersCreated();
            LongSupplier started = () -> sandbox.containersCreated() - before;
            List<DockerSandbox.Group> honest = List.of(new DockerSandbox.Group(List.of(STARTS_B), List.of("Bob", "Al")));
            for (int batch = 1; batch <= 4; batch++) {
                awaitReady(pool);
                assertRows(pool.runGroups(honest, 2), "TF");
                assertEquals(batch / 2, pool.recycled(), "after batch " + batch);
                if (batch == 1) assertEquals(1, warmContainers().size(), "one container, still up");
            }
            awaitReady(pool);
            assertEquals(3, started.getAsLong(), "the first container and two replacements");
            List<String> beforeTampering = warmContainers();
            List<DockerSandbox.GroupResult> tampered = pool.runGroups(List.of(
                    new DockerSandbox.Group(List.of(LEAVE_SHM), List.of("x")), honest.get(0)), 2);
            assertEquals(3, pool.recycled(), "a segment left behind replaces the container after one batch");
            assertRows(tampered.subList(1, 2), "TF");
            awaitReady(pool);
            assertEquals(4, started.getAsLong());
            assertFalse(beforeTampering.equals(warmContainers()), "a new container");
            assertRows(pool.runGroups(honest, 2), "TF");
        }
    }

    @Test
    void aContainerThatDiesWhileIdleCostsTheNextBatchNothingButAReplacement() throws Exception {
        try (WarmSandboxPool pool = new WarmSandboxPool(sandbox, CAMPAIGN, 1, 100, Duration.ofMinutes(10))) {
            awaitReady(pool);
            docker.killContainerCmd(warmContainers().get(0)).exec();
            List<DockerSandbox.Group> honest = List.of(new DockerSandbox.Group(List.of(STARTS_B), List.of("Bob", "Al")));
            assertRows(pool.runGroups(honest, 2), "TF");
            assertEquals(1, pool.recycled());
            awaitReady(pool);
            assertRows(pool.runGroups(honest, 2), "TF");
        }
    }

    /**
     * Two kinds of request share one warm container (a pool of one), sent concurrently, several rounds: an honest GRPO
     * group and a verifier that patches builtins and str, leaves a shared memory segment, a setsid daemon looping
     * kill(-1), and a file in its home. Every honest request gets exactly its rewards, and the container is replaced.
     */
    @Test
    void aTamperingRequestCannotChangeAnotherRequestsRewardOnTheSameWarmContainer() throws Exception {
        Map<String, String> code = new LinkedHashMap<>();
        for (String f : List.of(STARTS_B, SHORT, TAMPER)) code.put(RlvrExport.sha256(f), f);
        try (WarmSandboxPool pool = new WarmSandboxPool(sandbox, CAMPAIGN, 1, 100, Duration.ofMinutes(10))) {
            RewardScorer scorer = new RewardScorer(pool, code, 2);
            String honest = "{\"verifiers\": [\"" + RlvrExport.sha256(STARTS_B) + "\", \"" + RlvrExport.sha256(SHORT) + "\"]}";
            String tamper = "{\"verifiers\": [\"" + RlvrExport.sha256(TAMPER) + "\"]}";
            for (int r = 0; r < 3; r++) {
                int round = r;
                List<RewardScorer.Item> group = List.of(new RewardScorer.Item("Bob " + round, honest),
                        new RewardScorer.Item("Bees buzz all day long " + round, honest),
                        new RewardScorer.Item("no " + round, honest), new RewardScorer.Item("a long answer, not short " + round, honest));
                List<CompletableFuture<List<RewardScorer.Score>>> sent = new ArrayList<>();
                sent.add(CompletableFuture.supplyAsync(() -> scorer.score(List.of(new RewardScorer.Item("x " + round, tamper)),
                        RewardScorer.Aggregation.MEAN, false)));
                sent.add(CompletableFuture.supplyAsync(() -> scorer.score(group, RewardScorer.Aggregation.MEAN, false)));
                sent.add(CompletableFuture.supplyAsync(() -> scorer.score(List.of(new RewardScorer.Item("y " + round, tamper)),
                        RewardScorer.Aggregation.MEAN, false)));
                List<RewardScorer.Score> scores = sent.get(1).get();
                assertEquals(List.of(1.0, 0.5, 0.5, 0.0), scores.stream().map(RewardScorer.Score::reward).toList(), "round " + round + ": " + scores);
                // the tamperer's own reward is whatever its daemon's kill(-1) leaves of it: not asserted
                sent.get(0).get();
                sent.get(2).get();
            }
            assertTrue(pool.recycled() >= 3, "each tampering batch replaces the container: " + pool.recycled());
        }
    }

    private static void assertRows(List<DockerSandbox.GroupResult> results, String cells) {
        var row = results.get(0).rows().get(0);
        StringBuilder got = new StringBuilder();
        row.cells().forEach(c -> got.append(Boolean.TRUE.equals(c.value()) ? 'T' : Boolean.FALSE.equals(c.value()) ? 'F' : '?'));
        assertEquals(cells, got.toString(), row.toString());
    }

    private static List<String> warmContainers() {
        return docker.listContainersCmd().withLabelFilter(Map.of(DockerSandbox.LABEL_BATCH, "warm", DockerSandbox.LABEL_CAMPAIGN, CAMPAIGN))
                .exec().stream()
                .map(c -> c.getId()).sorted().toList();
    }

    /** Containers start in the background: waits (generously: the machine is shared) until one is ready. */
    private static void awaitReady(WarmSandboxPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (pool.ready() < 1 && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(1, pool.ready(), "a warm container ready");
    }
}
