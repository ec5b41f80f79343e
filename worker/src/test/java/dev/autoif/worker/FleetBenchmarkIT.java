package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.TemporalDevServer;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark, before and after the many-hosts work: one campaign (Stage 1 and Stage 2, the demo's seeds) with 1 and
 * with 3 worker processes on one durable dev server, run by the worker of this tree ("after") and by the worker of
 * commit {@value UpgradeIT#EARLIER} ("before": UpgradeIT's earlier release, which predates that work). Each run has
 * its own scripted LLM (same latency) and its own data directory, shared by its workers as by workers on one host:
 * the earlier release has no other store (MultiHostIT runs this tree's workers without a shared disk). The runs go one
 * after the other on the same machine, each kind of worker in turn, so that the ratios compare like with like. Prints
 * instructions/s and history events and payload bytes per instruction per run, and the ratios 3:1 workers and
 * after:before. Size: {@code -Dautoif.bench.instructions} (default 24, at most the demo's 36 seeds) and
 * {@code -Dautoif.bench.window} (default 8); the scripted LLM's latency {@code -Dautoif.bench.llmLatencyMs} (default
 * 500) and each worker's LLM cap {@code -Dautoif.bench.llmConcurrency} (default 2).
 */
@Tag("dev-server")
@Tag("docker")
class FleetBenchmarkIT {
    static final int INSTRUCTIONS = Integer.getInteger("autoif.bench.instructions", 24);
    static final int WINDOW = Integer.getInteger("autoif.bench.window", 8);
    /**
     * Each worker's own cap on LLM requests in flight binds (as it does against an endpoint that could take more), so
     * that more workers can go faster: on 2 cores, with caps that do not bind, three workers share the same CPU.
     */
    static final Duration LLM_LATENCY = Duration.ofMillis(Long.getLong("autoif.bench.llmLatencyMs", 500));
    static final int LLM_CONCURRENCY = Integer.getInteger("autoif.bench.llmConcurrency", 2);

    final List<Process> workers = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
    final List<String> campaigns = new CopyOnWriteArrayList<>();
    TemporalDevServer temporal;

    @BeforeAll
    static void buildEarlierWorker() throws Exception {
        UpgradeIT.buildEarlierWorker();
    }

    @AfterEach
    void stopEverythingStarted() throws Exception {
        for (Process p : workers) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        if (temporal != null) {
            temporal.kill();
        }
        for (AutoCloseable r : resources.reversed()) {
            try {
                r.close();
            } catch (Exception ignored) {
                // best effort: the processes above are what must not leak
            }
        }
        try (DockerClient docker = DockerClients.create(1)) {
            for (String id : campaigns) {
                for (String container : WorkerCrashIT.verifierContainers(docker, id, true)) {
                    docker.removeContainerCmd(container.split(" ")[0]).withForce(true).exec();
                }
            }
        } catch (RuntimeException ignored) {
            // best effort: the next worker's start-up sweep removes them too
        }
    }

    /** One campaign's measurements. */
    record Measured(String worker, int processes, int instructions, double seconds, HistoryFootprint footprint,
                    long completions, long repeated) {
        double perSecond() {
            return instructions / seconds;
        }

        double events() {
            return footprint.eventsPer(instructions);
        }

        double bytes() {
            return footprint.bytesPer(instructions);
        }
    }

    @Test
    void oneAndThreeWorkersBeforeAndAfter() throws Exception {
        Path dir = Files.createTempDirectory("autoif-fleet-bench");
        String cli = TemporalDevServer.findCli();
        assertTrue(cli != null, "the `temporal` CLI is not on PATH");
        TemporalDevServer.Started started = TemporalDevServer.start(cli, dir.resolve("temporal.db"),
                TemporalDevServer.freePort(), null, dir.resolve("temporal-server.log"));
        temporal = started.server();
        resources.add(started.stubs()::shutdownNow);
        WorkflowClient client = TemporalConnection.client(started.stubs(), WorkerCrashIT.NAMESPACE);

        List<String> seeds = new ArrayList<>();
        WorkerCrashIT.JSON.readTree(CampaignEndToEndTest.DEMO.toFile()).get("seedInstructions").forEach(s -> {
            if (seeds.size() < INSTRUCTIONS) seeds.add(s.asText());
        });
        assertEquals(INSTRUCTIONS, seeds.size(), "the demo has " + seeds.size() + " seeds");
        CampaignInput input = WorkerCrashIT.campaign(seeds, WINDOW);

        String before = UpgradeIT.EARLIER;
        String after = "this tree";
        List<Measured> runs = new ArrayList<>();
        for (int processes : new int[] {1, 3}) {
            runs.add(run(client, dir, input, before, UpgradeIT.earlierJar, processes));
            runs.add(run(client, dir, input, after, PackagedWorker.JAR, processes));
        }
        for (Measured m : runs) {
            System.out.printf("fleet bench: %s, %d worker(s): %d instructions in %.1f s, %.3f instructions/s; per "
                            + "instruction %.2f history events, %.0f payload bytes (campaign runs %d); completions "
                            + "served %d, repeated %d%n", m.worker(), m.processes(), m.instructions(), m.seconds(),
                    m.perSecond(), m.events(), m.bytes(), m.footprint().runs(), m.completions(), m.repeated());
        }
        Measured before1 = runs.get(0);
        Measured after1 = runs.get(1);
        Measured before3 = runs.get(2);
        Measured after3 = runs.get(3);
        System.out.printf("fleet bench: 3 workers : 1 — before %.2f, after %.2f; after : before — 1 worker %.2f, "
                        + "3 workers %.2f instructions/s, %.2f events, %.2f payload bytes per instruction; load "
                        + "average %.1f on %d cores%n", before3.perSecond() / before1.perSecond(),
                after3.perSecond() / after1.perSecond(), after1.perSecond() / before1.perSecond(),
                after3.perSecond() / before3.perSecond(), after1.events() / before1.events(),
                after1.bytes() / before1.bytes(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
        assertEquals(0, after1.repeated() + after3.repeated(), "a completion was paid twice");
        // The "no completion carried twice through history": fewer payload bytes than before.
        assertTrue(after1.bytes() < before1.bytes(), "after " + after1.bytes() + " >= before " + before1.bytes());
        stopEverythingStarted();
        WorkerCrashIT.deleteTree(dir);
    }

    /** One campaign on {@code processes} workers built from {@code jar}, then those workers stopped (SIGTERM). */
    private Measured run(WorkflowClient client, Path parent, CampaignInput input, String worker, Path jar,
                         int processes) throws Exception {
        String name = (worker.equals(UpgradeIT.EARLIER) ? "before" : "after") + "-" + processes;
        Path dataDir = Files.createDirectories(parent.resolve(name));
        ScriptedLlmServer llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(),
                Faults.none().withLatency(LLM_LATENCY));
        resources.add(llm);
        List<Process> fleet = new ArrayList<>();
        for (int w = 0; w < processes; w++) {
            fleet.add(PackagedWorker.start(jar, dataDir.resolve("worker-" + w + ".log"), Map.of(
                    "TEMPORAL_ADDRESS", temporal.address(), "TEMPORAL_NAMESPACE", WorkerCrashIT.NAMESPACE,
                    "OPENAI_BASE_URL", llm.baseUrl(), "OPENAI_MODEL", ScriptedLlmServer.MODEL,
                    "AUTOIF_DATA_DIR", dataDir.toString(), "AUTOIF_LLM_CONCURRENCY", Integer.toString(LLM_CONCURRENCY),
                    "AUTOIF_SANDBOX_CONTAINERS", "1",
                    // one host: the data directory is every worker's (ignored by the earlier release)
                    "AUTOIF_STORE_SHARED", "true"), workers));
        }
        String id = "bench-" + name + "-" + UUID.randomUUID();
        campaigns.add(id);
        CampaignWorkflow campaign = client.newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.WORKFLOWS).setWorkflowId(id).build());
        long t0 = System.nanoTime();
        WorkflowClient.start(campaign::run, input, null);
        CampaignResult result = client.newUntypedWorkflowStub(id).getResultAsync(CampaignResult.class)
                .get(20, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (Process p : fleet) {
            p.destroy(); // before the next run's workers poll the same task queues
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "worker did not stop on SIGTERM");
        }
        assertEquals(input.seedInstructions().size(), result.funnel().instructions(), name);
        assertEquals(result.funnel().instructions(), result.funnel().finished(), name + ": not every instruction finished");
        assertTrue(result.funnel().responses().sftRows() > 0, name + ": Stage 2 produced no rows");
        return new Measured(worker, processes, result.funnel().instructions(), seconds,
                HistoryFootprint.of(client, id, result.funnel().instructions()), llm.completionsServed(),
                llm.repeatedCompletions());
    }
}
