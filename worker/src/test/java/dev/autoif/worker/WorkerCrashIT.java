package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.activities.sandbox.DockerSandbox;
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
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Durability: a campaign through Stage 1 and Stage 2 runs on the packaged worker, in its own process, against a
 * Temporal dev server (SQLite-persisted) that this test starts. The worker is SIGKILLed {@link #KILLS} times at random
 * moments and restarted each time, and the dev server itself is SIGKILLed once mid-campaign and started again on the
 * same port and database while a worker keeps running (it must reconnect by itself). The campaign must finish with
 * exactly the outputs of an undisturbed run (its own dev server, worker and LLM, never killed), pay twice only for
 * LLM requests that were in flight at a worker kill, and leave no verifier container behind once a worker has started
 * after the last crash (the start-up sweep).
 */
@Tag("dev-server")
@Tag("docker")
class WorkerCrashIT {
    /** The dev servers' always-present namespace: the servers are this test's alone. */
    static final String NAMESPACE = "default";
    static final int KILLS = 5;
    /** The dev server is killed and restarted while the worker started after this many worker kills runs. */
    static final int SERVER_RESTART_AFTER_KILLS = 2;
    /** The campaign: the demo's first seeds, then synthetic ones ("Answer in at most N words"). */
    static final int DEMO_SEEDS = 12;
    static final int SYNTHETIC_SEEDS = 4;
    /** S2: verifier samples per instruction (one request with n = K). */
    static final int K = 8;
    /** S6: queries drawn per kept instruction, and samples per (instruction, query) prompt (one request each). */
    static final int QUERIES_PER_INSTRUCTION = 2;
    static final int RESPONSES_PER_QUERY = 4;
    static final int MAX_QUERY_USES = 4;
    /** S8: judge samples per response (the product's default; one request per response). */
    static final int JUDGE_SAMPLES = 1;
    /** LLM requests one worker process has in flight at most: its LLM activity slots and its endpoint limiter's ceiling. */
    static final int LLM_CONCURRENCY = 2;
    /** The scripted model's time per request: long enough that kills often land while requests are in flight. */
    static final Duration LLM_LATENCY = Duration.ofMillis(200);
    static final Path QUERIES = CampaignEndToEndTest.DEMO.resolveSibling("demo-queries.jsonl");
    static final ObjectMapper JSON = new ObjectMapper();

    /** Every process this test started (workers, dev servers): none may outlive it, even when an assertion fails. */
    final List<Process> workers = new CopyOnWriteArrayList<>();
    final List<TemporalDevServer> servers = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
    /** Campaigns started: a failed test removes their sandbox containers and volumes too. */
    final List<String> campaigns = new CopyOnWriteArrayList<>();

    @AfterEach
    void killEverythingStarted() throws Exception {
        for (Process p : workers) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        workers.clear();
        for (TemporalDevServer server : servers) {
            server.kill(); // its current process: a restart replaced the first one, which is already dead
        }
        servers.clear();
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // best effort: the processes above are what must not leak
            }
        }
        resources.clear();
        if (!campaigns.isEmpty()) {
            try (DockerClient docker = DockerClients.create(1)) {
                for (String id : campaigns) {
                    for (String c : verifierContainers(docker, id, true)) {
                        docker.removeContainerCmd(c.split(" ")[0]).withForce(true).exec();
                    }
                    for (String v : batchVolumes(docker, id)) {
                        docker.removeVolumeCmd(v).exec();
                    }
                }
            } catch (RuntimeException | IOException ignored) {
                // best effort, as the start-up sweep of any later worker removes them too
            }
            campaigns.clear();
        }
    }

    @Test
    void campaignSurvivesWorkerSigkillsAndServerRestartWithIdenticalOutputs() throws Exception {
        long t0 = System.nanoTime();
        List<String> seeds = new ArrayList<>();
        JSON.readTree(CampaignEndToEndTest.DEMO.toFile()).get("seedInstructions").forEach(s -> {
            if (seeds.size() < DEMO_SEEDS) seeds.add(s.asText());
        });
        for (int i = 0; i < SYNTHETIC_SEEDS; i++) {
            seeds.add("Answer in at most " + (20 + i) + " words"); // synthetic verifiers: a longer campaign
        }
        CampaignInput input = campaign(seeds);
        long seed = System.nanoTime();
        Random random = new Random(seed);

        // The undisturbed run goes alongside the disturbed one, on a dev server, LLM, data directory and worker of
        // its own (so no restart or kill reaches it): while the disturbed campaign waits out timeouts after each
        // kill, the machine does the undisturbed one.
        Run baseline = new Run("baseline");
        Run crashed = new Run("crashed");
        Campaign first = start(baseline.client, input);
        Process baselineWorker = baseline.startWorker();
        CompletableFuture<Long> baselineSeconds = first.result().thenApply(r -> seconds(t0));

        long t1 = System.nanoTime();
        Campaign disturbed = start(crashed.client, input);
        String why = "random seed " + seed + ", worker log " + crashed.log + ", server log " + crashed.temporal.logFile();
        int kills = 0;
        boolean serverRestarted = false;
        Process worker;
        while (true) {
            worker = crashed.startWorker();
            if (kills == KILLS) break;
            // Kill a worker at work, not one still settling in: a random moment after it has had an answer served.
            awaitLlmProgress(crashed, worker, "worker " + (kills + 1) + " never got to work; " + why);
            Thread.sleep(random.nextInt(2500));
            if (kills == SERVER_RESTART_AFTER_KILLS && !serverRestarted) {
                // SIGKILL, not SIGTERM: SQLite commits are in the file (the OS page cache) before the server
                // acknowledges them, so a killed process loses nothing it acknowledged.
                crashed.temporal.kill();
                Thread.sleep(500 + random.nextInt(2500)); // the worker's polls and completions fail meanwhile
                crashed.temporal.restart();
                serverRestarted = true;
                System.out.printf("WorkerCrashIT: dev server restarted at %d s%n", seconds(t1));
                // The client's result long-poll may have failed with the server: ask again.
                disturbed = disturbed.reattach(crashed.client);
                // The worker that saw the server die must carry the campaign on by itself.
                awaitLlmProgress(crashed, worker, "no progress after the server restart: the worker did not reconnect; " + why);
                Thread.sleep(random.nextInt(2500));
            }
            assertTrue(!disturbed.result().isDone(), "campaign finished after only " + kills + " kills; " + why);
            worker.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful hand-over
            assertTrue(worker.waitFor(30, TimeUnit.SECONDS));
            kills++;
            System.out.printf("WorkerCrashIT: worker kill %d at %d s, %d completions served so far%n",
                    kills, seconds(t1), crashed.llm.completionsServed());
        }
        CampaignResult undisturbed = first.result().get(10, TimeUnit.MINUTES);
        baseline.stop(baselineWorker);
        CampaignResult survived = disturbed.result().get(15, TimeUnit.MINUTES);
        long disturbedSeconds = seconds(t1);

        assertEquals(undisturbed.funnel().counts(), survived.funnel().counts(), why);
        assertTrue(undisturbed.funnel().responses().sftRows() > 0 && undisturbed.funnel().responses().dpoPairs() > 0,
                "Stage 2 produced no rows, so the comparison would prove little: " + undisturbed.funnel());
        Map<String, String> expected = outputs(undisturbed);
        Map<String, String> actual = outputs(survived);
        assertEquals(expected.keySet(), actual.keySet(), "output files differ; " + why);
        for (String file : expected.keySet()) {
            assertEquals(expected.get(file), actual.get(file), file + " differs; " + why);
        }

        // What a worker kill can make the provider serve twice: the durable LLM cache stores each sample the moment
        // its response arrives, so only requests in flight at a kill (sent, answer not yet stored) are bought again.
        // One worker process runs at most LLM_CONCURRENCY requests at once (its LLM activity slots, and the endpoint
        // limiter's ceiling), and only one worker process runs at a time here. One request asks for at most
        // max(K: S2 verifiers, RESPONSES_PER_QUERY: S6 responses, JUDGE_SAMPLES: each S8 response, 1: S4 and S5);
        // S1 is off. The dev server restart adds nothing: the worker stays alive and stores every answer it gets;
        // an activity result the server lost is retried and answered from the cache.
        long maxSamplesPerRequest = Math.max(Math.max(K, RESPONSES_PER_QUERY), Math.max(JUDGE_SAMPLES, 1));
        long bound = (long) kills * LLM_CONCURRENCY * maxSamplesPerRequest;
        long repeated = crashed.llm.repeatedCompletions();
        System.out.printf("WorkerCrashIT: %d worker kills + 1 server restart (seed %d); undisturbed %d s, disturbed %d s;"
                        + " %d completions served undisturbed, %d disturbed, %d of them twice (bound %d); funnel %s%n",
                kills, seed, baselineSeconds.get(), disturbedSeconds, baseline.llm.completionsServed(),
                crashed.llm.completionsServed(), repeated, bound, survived.funnel().counts());
        assertTrue(repeated <= bound, repeated + " completions served twice, more than " + kills + " kills x "
                + LLM_CONCURRENCY + " requests in flight x " + maxSamplesPerRequest + " samples; " + why);
        assertEquals(0, baseline.llm.repeatedCompletions(),
                "an undisturbed run pays for no completion twice, even when instructions share a verifier");
        assertEquals(baseline.llm.completionsServed(), crashed.llm.completionsServed() - repeated,
                "every completion the undisturbed run needed was served, and nothing else; " + why);

        // The last kill may have orphaned a container that was still running when the worker restarted. Once it
        // has exited and the grace period (which keeps a sweep from racing another live worker) has passed, the
        // next worker start sweeps it and its batch volume.
        // When nothing of the campaign is left (the kills missed every container), there is nothing to sweep.
        try (DockerClient docker = DockerClients.create(1)) {
            awaitNoRunningVerifier(docker, disturbed.id());
            crashed.stop(worker);
            List<String> left = verifierContainers(docker, disturbed.id(), true);
            List<String> leftVolumes = batchVolumes(docker, disturbed.id());
            System.out.printf("WorkerCrashIT: after the campaign, %d exited containers and %d volumes to sweep%n",
                    left.size(), leftVolumes.size());
            if (!left.isEmpty() || !leftVolumes.isEmpty()) {
                Thread.sleep((DockerSandbox.ORPHAN_GRACE_SECONDS + 2) * 1000);
                worker = crashed.startWorker();
                assertEquals(List.of(), verifierContainers(docker, disturbed.id(), true), "orphaned verifier containers; " + why);
                crashed.stop(worker);
                assertEquals(List.of(), batchVolumes(docker, disturbed.id()), "orphaned batch volumes; " + why);
            }
        }
        // Passed: the logs and databases are no longer needed (a failure keeps them for the message's paths).
        killEverythingStarted();
        deleteTree(baseline.dataDir);
        deleteTree(crashed.dataDir);
    }

    /** Best effort: a file that cannot be deleted is left in /tmp, not a reason to fail a passed test. */
    static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException ignored) {
            // left behind
        }
    }

    /** Stage 1 and a small Stage 2; up to 4 instructions and one sandbox container at a time: a long campaign. */
    static CampaignInput campaign(List<String> seeds) {
        return campaign(seeds, 4);
    }

    /** @param window the instructions in flight at once (maxConcurrentInstructions) */
    static CampaignInput campaign(List<String> seeds, int window) {
        return new CampaignInput(seeds, null, null, K, "reference", null, window, 5,
                null, null, null, null, null, null, null, null,
                QUERIES.toString(), QUERIES_PER_INSTRUCTION, MAX_QUERY_USES, null, null, RESPONSES_PER_QUERY,
                null, JUDGE_SAMPLES, null, null, null, null, null, null, null, null, null);
    }

    /**
     * Every file the campaign wrote to its output directory (top level: the per-instruction records under items/
     * are what these are built from), with the campaign ID and directory replaced by placeholders. Two parts
     * legitimately differ between a disturbed and an undisturbed run and are left out: the LLM usage accounting
     * (requests, activity retries, cache hits and tokens depend on where the kills fell), i.e. funnel.json's
     * llmUsage/llmCostUsd and DATASET_CARD.md's "LLM usage" section; report.html is left out too, as it is drawn from
     * these files and the records' modification times. Everything else (instructions, verifiers,
     * drops, back-translations, the query pool, responses.jsonl, prompts.jsonl, the SFT and DPO datasets,
     * dataset_info.json, the rest of the card) must be byte-identical.
     */
    static Map<String, String> outputs(CampaignResult result) throws IOException {
        Path dir = Path.of(result.outputDir());
        Map<String, String> files = new TreeMap<>();
        for (String written : result.files()) { // every file the export wrote, dataset parts included
            Path f = Path.of(written);
            String name = dir.relativize(f).toString();
            if (name.equals("report.html")) {
                continue; // drawn from the files compared here, plus the records' modification times (a timeline)
            }
            files.put(name, comparable(f.getFileName().toString(), Files.readString(f), dir.toAbsolutePath().toString(),
                    result.campaignId()));
        }
        return files;
    }

    /**
     * One output file's text as two runs of a campaign must agree on it: the campaign's location and ID replaced by
     * placeholders, and the LLM usage accounting (see {@link #outputs}) left out.
     */
    static String comparable(String name, String text, String location, String campaignId) throws IOException {
        text = text.replace(location, "<output-dir>").replace(campaignId, "<campaign>");
        if (name.equals("funnel.json")) {
            ObjectNode funnel = (ObjectNode) JSON.readTree(text);
            ((ObjectNode) funnel.get("funnel")).remove(List.of("llmUsage", "llmCostUsd"));
            return funnel.toPrettyString();
        }
        if (name.equals("DATASET_CARD.md")) {
            int from = text.indexOf("## LLM usage");
            int to = text.indexOf("## ", from + 1);
            assertTrue(from >= 0 && to > from, "DATASET_CARD.md has no LLM usage section:\n" + text);
            return text.substring(0, from) + text.substring(to);
        }
        return text;
    }

    private static long seconds(long since) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
    }

    /** Starts the campaign under a fresh ID; the future completes with its result. */
    Campaign start(WorkflowClient client, CampaignInput input) {
        String id = "crash-" + UUID.randomUUID();
        campaigns.add(id);
        CampaignWorkflow campaign = client.newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.WORKFLOWS).setWorkflowId(id).build());
        WorkflowClient.start(campaign::run, input, null);
        return new Campaign(id, client.newUntypedWorkflowStub(id).getResultAsync(CampaignResult.class));
    }

    record Campaign(String id, CompletableFuture<CampaignResult> result) {
        Campaign reattach(WorkflowClient client) {
            return new Campaign(id, client.newUntypedWorkflowStub(id).getResultAsync(CampaignResult.class));
        }
    }

    /**
     * A Temporal dev server of its own (SQLite in the data directory), a data directory (LLM cache, outputs), a
     * scripted LLM that counts what it serves, and worker processes.
     */
    final class Run {
        final Path dataDir;
        final Path log;
        final ScriptedLlmServer llm;
        final TemporalDevServer temporal;
        final WorkflowClient client;

        Run(String name) throws Exception {
            dataDir = Files.createTempDirectory("autoif-crash-" + name);
            log = dataDir.resolve("worker.log");
            llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(), Faults.none().withLatency(LLM_LATENCY));
            resources.add(llm);
            String cli = TemporalDevServer.findCli();
            assertTrue(cli != null, "the `temporal` CLI is not on PATH");
            TemporalDevServer.Started started = TemporalDevServer.start(cli, dataDir.resolve("temporal.db"),
                    TemporalDevServer.freePort(), null, dataDir.resolve("temporal-server.log"));
            temporal = started.server();
            servers.add(temporal);
            WorkflowServiceStubs stubs = started.stubs();
            resources.add(stubs::shutdownNow);
            client = TemporalConnection.client(stubs, NAMESPACE);
        }

        /** Starts {@code java -jar autoif.jar worker} of this tree and waits until it polls. */
        Process startWorker() throws Exception {
            return startWorker(PackagedWorker.JAR);
        }

        /** Starts {@code java -jar JAR worker} (another build, for the upgrade test) and waits until it polls. */
        Process startWorker(Path jar) throws Exception {
            return PackagedWorker.start(jar, log, Map.of("TEMPORAL_ADDRESS", temporal.address(),
                    "TEMPORAL_NAMESPACE", NAMESPACE, "OPENAI_BASE_URL", llm.baseUrl(), "OPENAI_MODEL", ScriptedLlmServer.MODEL,
                    "AUTOIF_DATA_DIR", dataDir.toString(),
                    "AUTOIF_LLM_CONCURRENCY", Integer.toString(LLM_CONCURRENCY), "AUTOIF_SANDBOX_CONTAINERS", "1",
                    // one host: its data directory is every worker's (read by this build, ignored by the upgrade's earlier one)
                    "AUTOIF_STORE_SHARED", "true"), workers);
        }

        void stop(Process worker) throws Exception {
            worker.destroy();
            assertTrue(worker.waitFor(60, TimeUnit.SECONDS), "worker did not stop on SIGTERM");
        }
    }

    /** Waits (2 min at most) until the scripted LLM serves another completion, while {@code worker} stays alive. */
    static void awaitLlmProgress(Run run, Process worker, String message) throws InterruptedException {
        long before = run.llm.completionsServed();
        for (int i = 0; i < 480 && run.llm.completionsServed() == before; i++) {
            assertTrue(worker.isAlive(), "the worker exited; " + message);
            Thread.sleep(250);
        }
        assertTrue(run.llm.completionsServed() > before, message);
    }

    private static void awaitNoRunningVerifier(DockerClient docker, String campaignId) throws InterruptedException {
        for (int i = 0; i < 240 && !verifierContainers(docker, campaignId, false).isEmpty(); i++) {
            Thread.sleep(250);
        }
        assertEquals(List.of(), verifierContainers(docker, campaignId, false), "verifier containers still running");
    }

    private static List<String> batchVolumes(DockerClient docker, String campaignId) {
        var volumes = docker.listVolumesCmd()
                .withFilter("label", List.of(DockerSandbox.LABEL_CAMPAIGN + "=" + campaignId)).exec().getVolumes();
        return volumes == null ? List.of() : volumes.stream().map(v -> v.getName()).toList();
    }

    /** This campaign's verifier containers (other tests may share the Docker engine). */
    static List<String> verifierContainers(DockerClient docker, String campaignId, boolean all) {
        return docker.listContainersCmd().withShowAll(all)
                .withLabelFilter(Map.of(DockerSandbox.LABEL_ROLE, "verifier", DockerSandbox.LABEL_CAMPAIGN, campaignId)).exec().stream()
                .map(c -> c.getId() + " " + c.getState()).toList();
    }
}
