package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Durability: the packaged worker, in its own process, is SIGKILLed at random moments while a
 * campaign runs and restarted each time. The campaign must finish with exactly the outputs of an
 * undisturbed run, pay twice only for LLM requests that were in flight at a kill, and leave no
 * verifier container behind once a worker has started after the last crash (the start-up sweep).
 */
class WorkerCrashIT {
    static final String ADDRESS = System.getenv().getOrDefault("TEMPORAL_ADDRESS", "localhost:7233");
    /** Its own namespace: other test runs on the shared dev server cannot feed this test's workers. */
    static final String NAMESPACE = "autoif-durability";
    static final int KILLS = 5;
    static final int K = 8;
    static final ObjectMapper JSON = new ObjectMapper();
    /** Every worker process this test started: none may outlive it, even when an assertion fails. */
    static final List<Process> STARTED = new java.util.concurrent.CopyOnWriteArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void killLeftoverWorkers() throws InterruptedException {
        for (Process p : STARTED) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        STARTED.clear();
    }

    @Test
    void campaignSurvivesRepeatedSigkillWithIdenticalOutputs() throws Exception {
        createNamespace();
        List<String> seeds = new ArrayList<>();
        JSON.readTree(CampaignEndToEndTest.DEMO.toFile()).get("seedInstructions").forEach(s -> seeds.add(s.asText()));
        for (int i = 0; i < 24; i++) {
            seeds.add("Answer in at most " + (20 + i) + " words"); // synthetic verifiers: a longer campaign
        }
        // One container and one LLM request at a time: a long campaign, and at most one request in flight at a kill.
        CampaignInput input = new CampaignInput(seeds, null, null, K, "reference", null, 4, 5, null);
        long seed = System.nanoTime();
        Random random = new Random(seed);

        Run baseline = new Run("baseline");
        try (TemporalConnection temporal = TemporalConnection.connect(ADDRESS, NAMESPACE, null)) {
            Campaign first = start(temporal.client(), input);
            Process worker = baseline.startWorker();
            CampaignResult undisturbed = first.result().get(10, TimeUnit.MINUTES);
            baseline.stop(worker);

            Run crashed = new Run("crashed");
            Campaign disturbed = start(temporal.client(), input);
            int kills = 0;
            while (kills < KILLS) {
                worker = crashed.startWorker();
                Thread.sleep(500 + random.nextInt(3500));
                assertTrue(!disturbed.result().isDone(), "campaign finished after only " + kills + " kills (seed " + seed + ")");
                worker.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful hand-over
                assertTrue(worker.waitFor(30, TimeUnit.SECONDS));
                kills++;
            }
            worker = crashed.startWorker();
            CampaignResult survived = disturbed.result().get(15, TimeUnit.MINUTES);

            String why = "random seed " + seed + ", log " + crashed.log;
            for (String file : List.of("verifiers.jsonl", "dropped.jsonl")) {
                assertEquals(Files.readString(Path.of(undisturbed.outputDir(), file)),
                        Files.readString(Path.of(survived.outputDir(), file)), file + " differs; " + why);
            }
            assertEquals(undisturbed.funnel().kept(), survived.funnel().kept(), why);
            assertEquals(undisturbed.funnel().droppedByReason(), survived.funnel().droppedByReason(), why);
            long repeated = crashed.llm.repeatedCompletions();
            System.out.printf("WorkerCrashIT: %d kills (seed %d), %d completions served, %d of them twice%n",
                    kills, seed, crashed.llm.completionsServed(), repeated);
            assertTrue(repeated <= (long) kills * K, repeated + " completions served twice, more than "
                    + kills + " kills x K=" + K + "; " + why);
            assertEquals(0, baseline.llm.repeatedCompletions(),
                    "an undisturbed run pays for no completion twice, even when instructions share a verifier");
            assertEquals(baseline.llm.completionsServed(), crashed.llm.completionsServed() - repeated,
                    "every completion the undisturbed run needed was served, and nothing else; " + why);

            // The last kill may have orphaned a container that was still running when the worker restarted. Once it
            // has exited and the grace period (which keeps a sweep from racing another live worker) has passed, the
            // next worker start sweeps it and its batch volume.
            try (DockerClient docker = DockerClients.create(1)) {
                awaitNoRunningVerifier(docker, disturbed.id());
                crashed.stop(worker);
                Thread.sleep((DockerSandbox.ORPHAN_GRACE_SECONDS + 2) * 1000);
                worker = crashed.startWorker();
                assertEquals(List.of(), verifierContainers(docker, disturbed.id(), true), "orphaned verifier containers; " + why);
                crashed.stop(worker);
                var volumes = docker.listVolumesCmd()
                        .withFilter("label", List.of(DockerSandbox.LABEL_CAMPAIGN + "=" + disturbed.id())).exec().getVolumes();
                assertTrue(volumes == null || volumes.isEmpty(), "orphaned batch volumes: " + volumes + "; " + why);
            }
            baseline.llm.close();
            crashed.llm.close();
        }
    }

    /** Starts the campaign under a fresh ID; the future completes with its result. */
    private static Campaign start(WorkflowClient client, CampaignInput input) {
        String id = "crash-" + UUID.randomUUID();
        CampaignWorkflow campaign = client.newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.WORKFLOWS).setWorkflowId(id).build());
        WorkflowClient.start(campaign::run, input);
        return new Campaign(id, client.newUntypedWorkflowStub(id).getResultAsync(CampaignResult.class));
    }

    record Campaign(String id, CompletableFuture<CampaignResult> result) {}

    /** A data directory (LLM cache, outputs), a scripted LLM that counts what it serves, and worker processes. */
    static final class Run {
        final Path dataDir;
        final Path log;
        final ScriptedLlmServer llm;

        Run(String name) throws IOException {
            dataDir = Files.createTempDirectory("autoif-crash-" + name);
            log = dataDir.resolve("worker.log");
            llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load());
        }

        /** Starts {@code java -jar autoif.jar worker} and waits until it polls. */
        Process startWorker() throws Exception {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            long logged = Files.exists(log) ? Files.size(log) : 0;
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", Path.of("target", "autoif.jar").toString(), "worker")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(Map.of("TEMPORAL_ADDRESS", ADDRESS, "TEMPORAL_NAMESPACE", NAMESPACE,
                    "OPENAI_BASE_URL", llm.baseUrl(), "OPENAI_MODEL", ScriptedLlmServer.MODEL,
                    "AUTOIF_DATA_DIR", dataDir.toString(), "AUTOIF_HTTP_PORT", Integer.toString(port),
                    "AUTOIF_LLM_CONCURRENCY", "1", "AUTOIF_SANDBOX_CONTAINERS", "1"));
            Process worker = pb.start();
            STARTED.add(worker);
            for (int i = 0; i < 240; i++) {
                if (Files.readString(log).substring((int) logged).contains("autoif worker connected")) {
                    return worker;
                }
                assertTrue(worker.isAlive(), "worker exited early:\n" + Files.readString(log));
                Thread.sleep(250);
            }
            throw new AssertionError("worker did not connect:\n" + Files.readString(log));
        }

        void stop(Process worker) throws Exception {
            worker.destroy();
            assertTrue(worker.waitFor(60, TimeUnit.SECONDS), "worker did not stop on SIGTERM");
        }
    }

    private static void createNamespace() throws Exception {
        Process p = new ProcessBuilder("temporal", "operator", "namespace", "create", "--namespace", NAMESPACE,
                "--address", ADDRESS).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(p.exitValue() == 0 || out.contains("already"), out);
        // A new namespace becomes usable once the server's namespace cache has refreshed.
        for (int i = 0; i < 60; i++) {
            Process d = new ProcessBuilder("temporal", "workflow", "list", "--namespace", NAMESPACE, "--limit", "1",
                    "--address", ADDRESS).redirectErrorStream(true).start();
            d.getInputStream().readAllBytes();
            if (d.waitFor(30, TimeUnit.SECONDS) && d.exitValue() == 0) return;
            Thread.sleep(500);
        }
        throw new AssertionError("namespace " + NAMESPACE + " never became usable");
    }

    private static void awaitNoRunningVerifier(DockerClient docker, String campaignId) throws InterruptedException {
        for (int i = 0; i < 240 && !verifierContainers(docker, campaignId, false).isEmpty(); i++) {
            Thread.sleep(250);
        }
        assertEquals(List.of(), verifierContainers(docker, campaignId, false), "verifier containers still running");
    }

    /** This campaign's verifier containers (other tests may share the Docker engine). */
    private static List<String> verifierContainers(DockerClient docker, String campaignId, boolean all) {
        return docker.listContainersCmd().withShowAll(all)
                .withLabelFilter(Map.of(DockerSandbox.LABEL_ROLE, "verifier", DockerSandbox.LABEL_CAMPAIGN, campaignId)).exec().stream()
                .map(c -> c.getId() + " " + c.getState()).toList();
    }
}
