package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.report.CampaignReport;
import dev.autoif.activities.artifacts.S3TestServer;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.worker.cli.CampaignInputs;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.fleet.CompletionClaimsTest;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.TemporalDevServer;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Many hosts, none sharing a disk: three packaged worker processes, each with its own empty data directory, keep the
 * campaign in a real S3-protocol server (s3proxy, in this JVM) and share only the durable dev server (SQLite, started
 * here) and PostgreSQL (completion cache, claims and the fleet-wide LLM cap; a fresh schema per run, so no earlier
 * row answers). A Stage 1 + Stage 2 campaign, its inputs uploaded through the store, runs once on a single worker (the
 * reference), once on three undisturbed, and once on three of which two are SIGKILLed once each mid-campaign and
 * started again on a fresh data directory. Every output, datasets included, read back through the store, must be byte-identical to the reference;
 * the scripted server must have served no completion twice, and never more than the global cap at once. Prints the
 * instructions per second of the runs (same dev server, same machine, one after the other) and the load average.
 */
@Tag("dev-server")
@Tag("docker")
@Tag("postgres")
class MultiHostIT {
    static final String NAMESPACE = "default";
    static final int SEEDS = 12;
    static final int WORKERS = 3;
    static final int KILLS = 2;
    /** LLM requests in flight across the fleet at most (AUTOIF_LLM_GLOBAL_CONCURRENCY), below each worker's own cap. */
    static final int GLOBAL_CAP = 4;
    static final int LOCAL_CAP = 6;
    static final Duration LLM_LATENCY = Duration.ofMillis(300);
    /** How long a killed worker's claims and permits hold (AUTOIF_LLM_LEASE_SECONDS): short, so the others go on. */
    static final int LEASE_SECONDS = 10;
    static final String BUCKET = "autoif";

    final List<Process> workers = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
    final List<String> schemas = new CopyOnWriteArrayList<>();
    final List<String> campaigns = new CopyOnWriteArrayList<>();
    TemporalDevServer temporal;

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
        try (Connection c = DriverManager.getConnection(CompletionClaimsTest.URL); Statement s = c.createStatement()) {
            for (String schema : schemas) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
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

    @Test
    void threeWorkersWithoutSharedDiskMatchOneWorkerByteForByte() throws Exception {
        Path dir = Files.createTempDirectory("autoif-multihost");
        S3TestServer s3 = S3TestServer.start(dir.resolve("s3"));
        resources.add(s3);
        s3.createBucket(BUCKET);
        String cli = TemporalDevServer.findCli();
        assertTrue(cli != null, "the `temporal` CLI is not on PATH");
        TemporalDevServer.Started started = TemporalDevServer.start(cli, dir.resolve("temporal.db"),
                TemporalDevServer.freePort(), null, dir.resolve("temporal-server.log"));
        temporal = started.server();
        resources.add(started.stubs()::shutdownNow);
        WorkflowClient client = TemporalConnection.client(started.stubs(), NAMESPACE);

        List<String> seeds = new ArrayList<>();
        WorkerCrashIT.JSON.readTree(CampaignEndToEndTest.DEMO.toFile()).get("seedInstructions").forEach(s -> {
            if (seeds.size() < SEEDS) seeds.add(s.asText());
        });
        String campaignJson = WireFormat.objectMapper().writeValueAsString(WorkerCrashIT.campaign(seeds));

        // The reference: one worker, its own store prefix, cache schema and scripted server.
        Run single = new Run(dir, s3, "single");
        Process only = single.startWorker();
        Finished reference = single.run(client, campaignJson);
        only.destroy();
        assertTrue(only.waitFor(60, TimeUnit.SECONDS), "worker did not stop on SIGTERM");

        // The benchmark's other side: three workers, undisturbed (the run with kills waits out leases and timeouts).
        Run calm = new Run(dir, s3, "calm");
        List<Process> calmWorkers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            calmWorkers.add(calm.startWorker());
        }
        Finished undisturbed = calm.run(client, campaignJson);
        for (Process p : calmWorkers) {
            p.destroy(); // before the next run's workers poll the same task queues
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "worker did not stop on SIGTERM");
        }

        Run fleet = new Run(dir, s3, "fleet");
        List<Process> running = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            running.add(fleet.startWorker());
        }
        long t0 = System.nanoTime();
        String id = fleet.start(client, campaignJson);
        var result = client.newUntypedWorkflowStub(id).getResultAsync(CampaignResult.class);
        for (int k = 0; k < KILLS; k++) {
            // Kill at work: after the fleet has been served a few more answers.
            long before = fleet.llm.completionsServed();
            for (int i = 0; i < 2400 && fleet.llm.completionsServed() < before + 20 && !result.isDone(); i++) {
                Thread.sleep(250);
            }
            assertFalse(result.isDone(), "the campaign finished after only " + k + " kills; logs in " + dir);
            // Held answers: what the server served has reached the worker's cache by the time it dies (a few
            // seconds to store it), and what it has in flight is dropped unserved, to be bought once by another.
            fleet.llm.holdAnswers();
            Thread.sleep(3000);
            Process victim = running.get(k);
            victim.destroyForcibly(); // SIGKILL
            assertTrue(victim.waitFor(30, TimeUnit.SECONDS));
            Thread.sleep(2000); // the server's next writes to the dead worker's connections fail: those are dropped
            fleet.llm.releaseAnswers();
            System.out.printf("MultiHostIT: worker %d SIGKILLed at %d s, %d completions served so far%n",
                    k + 1, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0), fleet.llm.completionsServed());
            running.set(k, fleet.startWorker()); // started again, on a fresh empty data directory (a new host)
        }
        CampaignResult multi = result.get(20, TimeUnit.MINUTES);
        Finished three = new Finished(multi, fleet.seconds(t0));

        Map<String, String> expected = single.outputs(reference.result());
        Map<String, String> actual = fleet.outputs(multi);
        assertEquals(expected, calm.outputs(undisturbed.result()), "three undisturbed workers differ from one");
        assertTrue(expected.keySet().stream().anyMatch(f -> f.startsWith("sft_messages/part-"))
                && expected.keySet().stream().anyMatch(f -> f.startsWith("dpo_trl/part-")), "no dataset parts: " + expected.keySet());
        assertTrue(reference.result().funnel().responses().sftRows() > 0 && reference.result().funnel().responses().dpoPairs() > 0,
                "Stage 2 produced no rows, so the comparison would prove little: " + reference.result().funnel());
        assertEquals(expected.keySet(), actual.keySet(), "output files differ; logs in " + dir);
        for (String file : expected.keySet()) {
            assertEquals(expected.get(file), actual.get(file), file + " differs; logs in " + dir);
        }

        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        System.out.printf("MultiHostIT: %d instructions; 1 worker %d s (%.3f instructions/s), %d workers %d s"
                        + " (%.3f instructions/s, ratio %.2f), %d workers with %d SIGKILLs"
                        + " %d s (%.3f instructions/s), ratio %.2f; load average %.1f on %d cores;"
                        + " completions served %d and %d, repeated %d and %d; max in flight at the server %d and %d"
                        + " (global cap %d, local cap %d)%n",
                reference.instructions(), reference.seconds(), reference.perSecond(), WORKERS, undisturbed.seconds(),
                undisturbed.perSecond(), undisturbed.perSecond() / reference.perSecond(), WORKERS, KILLS, three.seconds(),
                three.perSecond(), three.perSecond() / reference.perSecond(), load,
                Runtime.getRuntime().availableProcessors(), single.llm.completionsServed(), fleet.llm.completionsServed(),
                single.llm.repeatedCompletions(), fleet.llm.repeatedCompletions(), single.llm.maxConcurrentRequests(),
                fleet.llm.maxConcurrentRequests(), GLOBAL_CAP, LOCAL_CAP);
        assertEquals(0, fleet.llm.repeatedCompletions(), "completions bought twice by the fleet; logs in " + dir);
        assertEquals(0, single.llm.repeatedCompletions(), "completions bought twice by one worker");
        assertEquals(0, calm.llm.repeatedCompletions(), "completions bought twice by three undisturbed workers");
        assertTrue(calm.llm.maxConcurrentRequests() <= GLOBAL_CAP,
                "the global cap was exceeded: " + calm.llm.maxConcurrentRequests() + " requests at once");
        assertTrue(fleet.llm.maxConcurrentRequests() <= GLOBAL_CAP,
                "the global cap was exceeded: " + fleet.llm.maxConcurrentRequests() + " requests at once");
        assertEquals(single.llm.completionsServed(), fleet.llm.completionsServed(),
                "the fleet bought exactly the completions one worker needed");

        stopEverythingStarted();
        WorkerCrashIT.deleteTree(dir);
    }

    /** A finished campaign and how long it took from its start. */
    record Finished(CampaignResult result, long seconds) {
        int instructions() {
            return result.funnel().instructions();
        }

        double perSecond() {
            return (double) instructions() / Math.max(1, seconds);
        }
    }

    /** One run of the campaign: its store prefix, its PostgreSQL schema, its scripted LLM, its worker processes. */
    final class Run {
        final String name;
        final Path dir;
        final String store;
        final ArtifactStore root;
        final ScriptedLlmServer llm;
        final String jdbcUrl;
        final S3TestServer s3;
        int started;

        Run(Path parent, S3TestServer s3, String name) throws Exception {
            this.name = name;
            this.s3 = s3;
            dir = Files.createDirectories(parent.resolve(name));
            store = "s3://" + BUCKET + "/" + name;
            root = s3.connection().apply(store);
            // Watching disconnects: a killed worker's request stops being answered, so it is never served twice.
            llm = ScriptedLlmServer.watchingDisconnects("127.0.0.1", 0, FixtureBook.load(),
                    Faults.none().withLatency(LLM_LATENCY));
            resources.add(llm);
            String schema = "multihost_" + name + "_" + UUID.randomUUID().toString().replace("-", "");
            try (Connection c = DriverManager.getConnection(CompletionClaimsTest.URL); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
            }
            schemas.add(schema);
            jdbcUrl = CompletionClaimsTest.URL + "&currentSchema=" + schema;
        }

        /** A worker on a host of its own: a fresh empty data directory, the store and PostgreSQL its only shared state. */
        Process startWorker() throws Exception {
            Path dataDir = Files.createDirectories(dir.resolve("worker-" + ++started));
            Map<String, String> env = new HashMap<>(s3.workerEnvironment(store));
            env.putAll(Map.of("TEMPORAL_ADDRESS", temporal.address(), "TEMPORAL_NAMESPACE", NAMESPACE,
                    "OPENAI_BASE_URL", llm.baseUrl(), "OPENAI_MODEL", ScriptedLlmServer.MODEL,
                    "AUTOIF_DATA_DIR", dataDir.toString(), "AUTOIF_CACHE_JDBC_URL", jdbcUrl,
                    "AUTOIF_LLM_CONCURRENCY", Integer.toString(LOCAL_CAP),
                    "AUTOIF_LLM_GLOBAL_CONCURRENCY", Integer.toString(GLOBAL_CAP),
                    "AUTOIF_LLM_LEASE_SECONDS", Integer.toString(LEASE_SECONDS), "AUTOIF_SANDBOX_CONTAINERS", "1"));
            return PackagedWorker.start(PackagedWorker.JAR, dataDir.resolve("worker.log"), env, workers);
        }

        /** Starts the campaign with its input files uploaded to this run's store; returns its workflow ID. */
        String start(WorkflowClient client, String campaignJson) throws Exception {
            String uploaded = CampaignInputs.upload(campaignJson, root).json();
            assertTrue(uploaded.contains("\"queryFile\":\"" + store + "/inputs/sha256-"), uploaded);
            CampaignInput input = WireFormat.objectMapper().readValue(uploaded, CampaignInput.class);
            String id = "multihost-" + name + "-" + UUID.randomUUID();
            campaigns.add(id);
            CampaignWorkflow campaign = client.newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                    .setTaskQueue(TaskQueues.WORKFLOWS).setWorkflowId(id).build());
            WorkflowClient.start(campaign::run, input, null);
            return id;
        }

        Finished run(WorkflowClient client, String campaignJson) throws Exception {
            long t0 = System.nanoTime();
            String id = start(client, campaignJson);
            CampaignResult result = client.newUntypedWorkflowStub(id).getResultAsync(CampaignResult.class)
                    .get(20, TimeUnit.MINUTES);
            return new Finished(result, seconds(t0));
        }

        long seconds(long t0) {
            return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        }

        /**
         * Every file the export wrote (its result names each, dataset parts included), read back through the S3
         * store, keyed by its name under the campaign, made comparable as {@link WorkerCrashIT#comparable} does, with
         * the run's store prefix a placeholder too.
         */
        Map<String, String> outputs(CampaignResult result) throws Exception {
            assertTrue(result.outputDir().startsWith(store + "/"), "the campaign is not in the store: " + result.outputDir());
            ArtifactStore campaign = s3.connection().apply(result.outputDir());
            Map<String, String> files = new TreeMap<>();
            for (String location : result.files()) {
                assertTrue(location.startsWith(result.outputDir() + "/"), location + " is not in the campaign's store");
                String key = location.substring(result.outputDir().length() + 1);
                if (key.equals(CampaignReport.FILE)) {
                    // in the bucket, but drawn from the records' write times: left out of the comparison, as in
                    // WorkerCrashIT
                    assertTrue(campaign.readString(key).contains("id=\"report-data\""), "report.html has no data");
                    continue;
                }
                // The input files' objects are under the run's own prefix: one placeholder for either run's.
                files.put(key, WorkerCrashIT.comparable(key, campaign.readString(key), result.outputDir(), result.campaignId())
                        .replace(store + "/", "<store>/"));
            }
            return files;
        }
    }
}
