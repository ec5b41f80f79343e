package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.temporal.EmbeddedTemporal;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import dev.autoif.workflows.campaign.CampaignWorkflowImpl;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Scale: one campaign of 2,500 instructions in CI (the system properties {@code autoif.scale.instructions} and
 * {@code autoif.scale.window} set another size and window, and {@code autoif.campaign.eventsPerRun} a smaller run —
 * see README) through S2 and S3 with the scripted LLM, the real Docker sandbox and a dev server of its own. It must
 * finish with every instruction accounted for, one child workflow per instruction, every run of the campaign workflow
 * far below Temporal's history limits (continue-as-new when a run nears {@value CampaignWorkflowImpl#EVENTS_PER_RUN}
 * events), LLM concurrency within the worker's cap, and verifier containers within the worker's cap and shared by
 * concurrent instructions. It prints instructions/s and the history events and payload bytes per instruction (the
 * campaign's runs, and the campaign's plus its children's).
 */
@Tag("dev-server")
@Tag("docker")
class ScaleIT {
    static final int INSTRUCTIONS = Integer.getInteger("autoif.scale.instructions", 2_500);
    /** Temporal warns at 10,240 events or 10 MB of history per run and stops a run at 51,200 events or 50 MB. */
    static final int HISTORY_EVENT_WARNING = 10_240;
    static final long HISTORY_BYTES_WARNING = 10L << 20;
    static final int LLM_CONCURRENCY = 16;
    static final int WINDOW = Integer.getInteger("autoif.scale.window", 200);

    @Test
    void thousandsOfInstructionsStayFarBelowTheHistoryLimits() throws Exception {
        Path dataDir = Files.createTempDirectory("autoif-scale");
        CampaignInput input = WireFormat.objectMapper().readValue("{\"seedFile\": \"" + distinctSeeds(dataDir, INSTRUCTIONS)
                + "\", \"verifiersPerInstruction\": 8, \"consistency\": \"none\", \"maxConcurrentInstructions\": "
                + WINDOW + "}", CampaignInput.class);

        try (ScriptedLlmServer llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load());
             EmbeddedTemporal temporal = EmbeddedTemporal.start(dataDir.resolve("temporal"))) {
            AutoifSettings settings = new AutoifSettings(null, "default", llm.baseUrl(), null, ScriptedLlmServer.MODEL,
                    60, LLM_CONCURRENCY, CampaignEndToEndTest.IMAGE, 2, 512, dataDir.toString());
            DockerSandbox sandbox = WorkerAssembly.sandbox(settings);
            try (WorkerRuntime worker = WorkerAssembly.start(temporal.client(), settings,
                    new LlmDefaults(llm.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(60)), sandbox)) {
                WorkflowClient client = temporal.client();
                String id = "scale-" + INSTRUCTIONS;
                CampaignWorkflow campaign = client.newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                        .setWorkflowId(id).setTaskQueue(TaskQueues.WORKFLOWS).build());
                long started = System.nanoTime();
                CompletableFuture<CampaignResult> run = WorkflowClient.execute(campaign::run, input, null);
                int maxInFlight = maxInstructionsInFlight(client.newWorkflowStub(CampaignWorkflow.class, id), run);
                CampaignResult result = run.get(80, TimeUnit.MINUTES);
                double seconds = (System.nanoTime() - started) / 1e9;
                System.out.printf("scale: %d instructions in %.0f s (%.1f/s), %d LLM completions, %d verifier containers, "
                                + "max %d concurrent LLM requests, max %d containers at once%n", INSTRUCTIONS, seconds, INSTRUCTIONS / seconds,
                        llm.completionsServed(), sandbox.containersCreated(), llm.maxConcurrentRequests(),
                        sandbox.maxConcurrentContainers());

                System.out.printf("scale: window %d, at most %d instructions in flight (progress query every 2 s)%n",
                        WINDOW, maxInFlight);
                assertTrue(maxInFlight <= WINDOW, "the window holds: " + maxInFlight + " in flight");
                assertTrue(maxInFlight >= Math.min(WINDOW, INSTRUCTIONS) / 2,
                        "the window is used while S3's containers bound throughput: " + maxInFlight);
                assertEquals(INSTRUCTIONS, result.funnel().instructions());
                assertEquals(INSTRUCTIONS, result.funnel().finished());
                assertEquals(INSTRUCTIONS, result.funnel().kept() + result.funnel().dropped());
                assertEquals(INSTRUCTIONS * 8L, llm.completionsServed(), "K=8 verifier completions per instruction, none twice");
                assertTrue(llm.maxConcurrentRequests() <= LLM_CONCURRENCY,
                        "LLM requests in flight stay within the worker's cap: " + llm.maxConcurrentRequests());
                long containers = sandbox.containersCreated();
                assertTrue(containers > 0 && containers < INSTRUCTIONS,
                        "concurrent S3 batches share containers: " + containers);
                assertTrue(sandbox.maxConcurrentContainers() <= settings.sandboxContainers(),
                        "verifier containers at once stay within the worker's cap: " + sandbox.maxConcurrentContainers());
                assertEquals(INSTRUCTIONS, countChildren(client, id), "one child workflow per instruction");

                List<String> runs = HistoryFootprint.runsOf(client, id);
                for (String runId : runs) {
                    WorkflowExecutionHistory history = client.fetchHistory(id, runId);
                    int events = history.getEvents().size();
                    System.out.printf("scale: run %s: %d events, %d payload bytes%n", runId, events,
                            HistoryFootprint.payloadBytes(history));
                    assertTrue(events < HISTORY_EVENT_WARNING / 2, "run " + runId + " has " + events + " events");
                    assertTrue(history.getHistory().getSerializedSize() < HISTORY_BYTES_WARNING / 2,
                            "run " + runId + " has " + history.getHistory().getSerializedSize() + " bytes of history");
                }
                HistoryFootprint footprint = HistoryFootprint.of(client, id, INSTRUCTIONS);
                System.out.printf("scale: %d instructions, window %d: %.2f instructions/s; %d campaign runs; per "
                                + "instruction: campaign %.2f events, %.0f payload bytes; campaign and children %.2f "
                                + "events, %.0f payload bytes%n", INSTRUCTIONS, WINDOW, INSTRUCTIONS / seconds,
                        footprint.runs(), (double) footprint.campaignEvents() / INSTRUCTIONS,
                        (double) footprint.campaignBytes() / INSTRUCTIONS, footprint.eventsPer(INSTRUCTIONS),
                        footprint.bytesPer(INSTRUCTIONS));
            }
        }
    }

    /** A seed file of {@code count} distinct instructions (S1 merges none of them) in {@code dir}. */
    static Path distinctSeeds(Path dir, int count) throws IOException {
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            seeds.add("Answer in at most " + (20 + i % 80) + " words, variant " + i);
        }
        return Files.write(dir.resolve("seeds.txt"), seeds);
    }

    /** Polls the campaign's {@code progress} query until it finishes: the most instructions seen in flight. */
    private static int maxInstructionsInFlight(CampaignWorkflow campaign, CompletableFuture<?> run) throws InterruptedException {
        int max = 0;
        while (!run.isDone()) {
            try {
                max = Math.max(max, campaign.progress().inFlight());
            } catch (RuntimeException notAnsweredNow) {
                // between runs (continue-as-new) or before the first workflow task: ask again
            }
            Thread.sleep(2000);
        }
        return max;
    }

    /** Visibility is eventually consistent: poll until the count settles. */
    private static long countChildren(WorkflowClient client, String campaignId) throws InterruptedException {
        long count = -1;
        for (int i = 0; i < 120 && count != INSTRUCTIONS; i++) {
            if (i > 0) Thread.sleep(1000);
            count = client.getWorkflowServiceStubs().blockingStub().countWorkflowExecutions(
                    CountWorkflowExecutionsRequest.newBuilder().setNamespace("default")
                            .setQuery("AutoifCampaign = '" + campaignId + "'").build()).getCount();
        }
        return count;
    }
}
