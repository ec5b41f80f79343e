package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.temporal.EmbeddedTemporal;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The window is not bound by Temporal's 2,000 pending children per run: a campaign with a window of 2,100 on a real
 * dev server gets more than 2,000 instruction workflows running at once. The scripted LLM holds every answer, so each
 * instruction waits at S2 and stays in flight; the test counts the running instruction workflows at the server
 * (visibility), not only the campaign's own count, then throws the campaign away with its server.
 */
@Tag("dev-server")
@Tag("docker")
class WideWindowIT {
    static final int WINDOW = 2_100;
    static final int TARGET_RUNNING = 2_000;
    static final int LLM_CONCURRENCY = 16;

    @Test
    void moreThanTwoThousandInstructionsRunAtOnce() throws Exception {
        Path dataDir = Files.createTempDirectory("autoif-wide-window");
        CampaignInput input = WireFormat.objectMapper().readValue("{\"seedFile\": \"" + ScaleIT.distinctSeeds(dataDir, WINDOW)
                + "\", \"consistency\": \"none\", \"maxConcurrentInstructions\": " + WINDOW + "}", CampaignInput.class);

        // answers held (the latency only makes the server hold them) keep every instruction at S2
        try (ScriptedLlmServer llm = ScriptedLlmServer.watchingDisconnects("127.0.0.1", 0, FixtureBook.load(),
                Faults.none().withLatency(Duration.ofMillis(1)));
             EmbeddedTemporal temporal = EmbeddedTemporal.start(dataDir.resolve("temporal"))) {
            llm.holdAnswers();
            AutoifSettings settings = new AutoifSettings(null, "default", llm.baseUrl(), null, ScriptedLlmServer.MODEL,
                    600, LLM_CONCURRENCY, CampaignEndToEndTest.IMAGE, 2, 512, dataDir.toString());
            DockerSandbox sandbox = WorkerAssembly.sandbox(settings);
            try (WorkerRuntime worker = WorkerAssembly.start(temporal.client(), settings,
                    new LlmDefaults(llm.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(600)), sandbox)) {
                WorkflowClient client = temporal.client();
                String id = "wide-window";
                CampaignWorkflow campaign = client.newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                        .setWorkflowId(id).setTaskQueue(TaskQueues.WORKFLOWS).build());
                long started = System.nanoTime();
                WorkflowClient.start(campaign::run, input, null);

                long running = 0;
                int campaignCount = 0;
                long deadline = System.nanoTime() + Duration.ofMinutes(25).toNanos();
                while (running < TARGET_RUNNING && System.nanoTime() < deadline) {
                    Thread.sleep(5_000);
                    running = runningInstructions(client, id);
                    try {
                        campaignCount = client.newWorkflowStub(CampaignWorkflow.class, id).progress().inFlight();
                    } catch (RuntimeException notAnsweredNow) {
                        // between two runs (continue-as-new): the next poll asks again
                    }
                }
                System.out.printf("wide window: %d instruction workflows running at the server (campaign's count %d, "
                                + "window %d) after %.0f s; %d LLM requests held open (cap %d)%n", running, campaignCount,
                        WINDOW, (System.nanoTime() - started) / 1e9, llm.requestsInFlight(), LLM_CONCURRENCY);
                assertTrue(running >= TARGET_RUNNING, "instruction workflows running at once: " + running);
                assertTrue(running <= WINDOW, "the window holds: " + running);
                assertTrue(llm.maxConcurrentRequests() <= LLM_CONCURRENCY,
                        "LLM requests in flight within the worker's cap: " + llm.maxConcurrentRequests());
            }
        }
    }

    private static long runningInstructions(WorkflowClient client, String campaignId) {
        return client.getWorkflowServiceStubs().blockingStub().countWorkflowExecutions(
                CountWorkflowExecutionsRequest.newBuilder().setNamespace("default")
                        .setQuery("AutoifCampaign = '" + campaignId + "' AND ExecutionStatus = 'Running'"
                                + " AND WorkflowType = 'AutoifInstruction'").build()).getCount();
    }
}
