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
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Scale: one campaign of 2,500 instructions in CI (three runs of the campaign workflow; the system property
 * {@code autoif.scale.instructions} sets another size, e.g. 10,000 — see README) through S2 and S3
 * with the scripted LLM, the real Docker sandbox and a dev server of its own. It must finish with every instruction
 * accounted for, one child workflow per instruction, every run of the campaign workflow far below Temporal's history
 * limits (continue-as-new every {@value CampaignWorkflowImpl#CHILDREN_PER_RUN} instructions), LLM concurrency within
 * the worker's cap, and verifier containers within the worker's cap and shared by concurrent instructions.
 */
@Tag("dev-server")
@Tag("docker")
class ScaleIT {
    static final int INSTRUCTIONS = Integer.getInteger("autoif.scale.instructions", 2_500);
    /** Temporal warns at 10,240 events or 10 MB of history per run and stops a run at 51,200 events or 50 MB. */
    static final int HISTORY_EVENT_WARNING = 10_240;
    static final long HISTORY_BYTES_WARNING = 10L << 20;
    static final int LLM_CONCURRENCY = 16;

    @Test
    void thousandsOfInstructionsStayFarBelowTheHistoryLimits() throws Exception {
        Path dataDir = Files.createTempDirectory("autoif-scale");
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < INSTRUCTIONS; i++) {
            seeds.add("Answer in at most " + (20 + i % 80) + " words, variant " + i);
        }
        Path seedFile = dataDir.resolve("seeds.txt");
        Files.write(seedFile, seeds);
        CampaignInput input = WireFormat.objectMapper().readValue("{\"seedFile\": \"" + seedFile + "\", "
                + "\"verifiersPerInstruction\": 8, \"consistency\": \"none\", \"maxConcurrentInstructions\": 200}",
                CampaignInput.class);

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
                CampaignResult result = WorkflowClient.execute(campaign::run, input).get(80, TimeUnit.MINUTES);
                double seconds = (System.nanoTime() - started) / 1e9;
                System.out.printf("scale: %d instructions in %.0f s (%.1f/s), %d LLM completions, %d verifier containers, "
                                + "max %d concurrent LLM requests, max %d containers at once%n", INSTRUCTIONS, seconds, INSTRUCTIONS / seconds,
                        llm.completionsServed(), sandbox.containersCreated(), llm.maxConcurrentRequests(),
                        sandbox.maxConcurrentContainers());

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

                List<String> runs = runsOf(client, id);
                int expectedRuns = (INSTRUCTIONS + CampaignWorkflowImpl.CHILDREN_PER_RUN - 1) / CampaignWorkflowImpl.CHILDREN_PER_RUN;
                assertEquals(expectedRuns, runs.size(), "continue-as-new every " + CampaignWorkflowImpl.CHILDREN_PER_RUN);
                for (String runId : runs) {
                    WorkflowExecutionHistory history = client.fetchHistory(id, runId);
                    int events = history.getEvents().size();
                    long bytes = history.getHistory().getSerializedSize();
                    System.out.printf("scale: run %s: %d events, %d bytes%n", runId, events, bytes);
                    assertTrue(events < HISTORY_EVENT_WARNING / 2, "run " + runId + " has " + events + " events");
                    assertTrue(bytes < HISTORY_BYTES_WARNING / 2, "run " + runId + " has " + bytes + " bytes of history");
                }
            }
        }
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

    private static List<String> runsOf(WorkflowClient client, String campaignId) throws InterruptedException {
        int expected = (INSTRUCTIONS + CampaignWorkflowImpl.CHILDREN_PER_RUN - 1) / CampaignWorkflowImpl.CHILDREN_PER_RUN;
        List<String> runs = List.of();
        for (int i = 0; i < 60 && runs.size() != expected; i++) {
            if (i > 0) Thread.sleep(1000);
            runs = client.getWorkflowServiceStubs().blockingStub().listWorkflowExecutions(
                            ListWorkflowExecutionsRequest.newBuilder().setNamespace("default").setPageSize(1000)
                                    .setQuery("WorkflowId = '" + campaignId + "'").build())
                    .getExecutionsList().stream().map(e -> e.getExecution().getRunId()).toList();
        }
        return runs;
    }
}
