package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.dataset.DatasetWriter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.temporal.SearchAttributeRegistrar;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The demo campaign twice on the real dev server, real worker and Docker: once against a
 * well-behaved scripted LLM, once against one that fails 30% of requests (429 with Retry-After,
 * 500, dropped connections, malformed bodies, short answers, slow answers). The outputs must be
 * byte-identical, and the faulty server's own bill must show no completion paid for twice.
 */
@Tag("dev-server")
@Tag("docker")
class FaultyLlmCampaignTest {
    static final String ADDRESS = CampaignEndToEndTest.ADDRESS;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String FAULTS = "429:0.06,500:0.06,drop:0.06,malformed:0.06,fewer:0.03,slow:0.03";

    record Run(CampaignResult result, ScriptedLlmServer llm) {}

    private Run campaign(Faults faults) throws Exception {
        Path dataDir = Files.createTempDirectory("autoif-faults");
        ScriptedLlmServer llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(), faults);
        AutoifSettings settings = new AutoifSettings(ADDRESS, "default", llm.baseUrl(), null, ScriptedLlmServer.MODEL,
                60, 8, CampaignEndToEndTest.IMAGE, 2, 512, dataDir.toString());
        try (TemporalConnection temporal = TemporalConnection.connect(ADDRESS, "default", null)) {
            SearchAttributeRegistrar.ensureRegistered(temporal.service(), "default");
            WorkerRuntime worker = WorkerAssembly.start(temporal.client(), settings,
                    new LlmDefaults(llm.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(60)));
            try {
                // The demo campaign with a small Stage 2, so that S6 to S8 calls meet the faults too.
                var demo = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(CampaignEndToEndTest.DEMO.toFile());
                demo.put("queryFile", CampaignEndToEndTest.DEMO.resolveSibling("demo-queries.jsonl").toString());
                demo.put("queriesPerInstruction", 2).put("responsesPerQuery", 4).put("maxConcurrentInstructions", 20)
                        .put("llmRetryInitialIntervalMillis", 50);
                demo.putObject("prices").putObject(ScriptedLlmServer.MODEL).put("promptPerMillion", 1.0).put("completionPerMillion", 2.0);
                CampaignInput input = WireFormat.objectMapper().readValue(JSON.writeValueAsString(demo), CampaignInput.class);
                CampaignWorkflow wf = temporal.client().newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                        .setTaskQueue(TaskQueues.WORKFLOWS).setWorkflowId("faults-" + UUID.randomUUID()).build());
                CampaignResult result = WorkflowClient.execute(wf::run, input, null).get(10, TimeUnit.MINUTES);
                return new Run(result, llm);
            } finally {
                worker.close();
            }
        }
    }

    @Test
    void thirtyPercentFaultsChangeNothingAndNoCompletionIsPaidTwice() throws Exception {
        Run clean = campaign(Faults.none());
        Faults faults = Faults.parse(FAULTS, 7).withRetryAfter("0.05").withSlowDelay(Duration.ofMillis(300));
        Run faulty = campaign(faults);
        try {
            Path a = Path.of(clean.result().outputDir());
            Path b = Path.of(faulty.result().outputDir());
            List<String> files = new java.util.ArrayList<>(List.of("verifiers.jsonl", "dropped.jsonl", "instructions.jsonl",
                    "back_translations.jsonl", "responses.jsonl", "prompts.jsonl", "dataset_parts.json", "dataset_info.json"));
            for (String dataset : List.of(DatasetWriter.SFT_ALPACA, DatasetWriter.SFT_MESSAGES, DatasetWriter.SFT_SHAREGPT,
                    DatasetWriter.DPO_TRL, DatasetWriter.DPO_LLAMAFACTORY)) {
                files.addAll(DatasetWriter.parts(ArtifactStores.filesystemOnly().open(a.toString()), dataset));
            }
            for (String file : files) {
                assertArrayEquals(Files.readAllBytes(a.resolve(file)), Files.readAllBytes(b.resolve(file)),
                        file + " is the same with and without faults");
            }
            assertEquals(clean.result().funnel().counts(), faulty.result().funnel().counts());
            assertTrue(clean.result().funnel().responses().sftRows() > 0, clean.result().funnel().toString());

            JsonNode stats = JSON.readTree(new java.net.URI("http://127.0.0.1:" + faulty.llm().port() + "/admin/stats").toURL());
            // The draws are deterministic for the seed: this run meets at least four kinds of fault (each kind is
            // also tested alone, in ScriptedFaultsClientTest), about a fifth of all requests.
            long kinds = 0, total = 0;
            for (Faults.Mode m : Faults.Mode.values()) {
                kinds += faulty.llm().faultsServed(m) > 0 ? 1 : 0;
                total += faulty.llm().faultsServed(m);
            }
            assertTrue(kinds >= 4 && total * 10 >= stats.get("requests").asLong(), "faults met: " + stats);
            assertEquals(0, stats.get("repeated_completions").asLong(), "no completion billed twice: " + stats);
            int instructions = clean.result().funnel().instructions();
            // S2 bills K=8 per instruction; S4 and S5 one per back-translated function and per judged pair.
            long billed = faulty.result().funnel().llmUsage().stream().mapToLong(LlmUsage::completions).sum();
            assertEquals(billed, stats.get("completions").asLong(), "every billed completion booked once: " + stats);
            assertEquals(clean.result().funnel().llmUsage().stream().mapToLong(LlmUsage::completions).sum(), billed);

            // Accounting: every billed completion booked once, the retries seen, the price applied.
            LlmUsage usage = faulty.result().funnel().llmUsage().get(0);
            assertEquals(List.of(Stage.S2, LlmRole.SUPERVISION, ScriptedLlmServer.MODEL), List.of(usage.stage(), usage.role(), usage.model()));
            assertEquals(instructions * 8L, usage.completions());
            assertEquals(0, usage.cacheHits(), "samples bought by an earlier attempt are spending, not cache hits");
            assertTrue(usage.retries() > 0, usage.toString());
            assertTrue(usage.requests() >= instructions, "requests of the successful attempts: " + usage);
            LlmUsage cleanUsage = clean.result().funnel().llmUsage().get(0);
            assertEquals(0, cleanUsage.retries());
            assertEquals(instructions, cleanUsage.requests(), "one request per instruction without faults");
            assertEquals(cleanUsage.completionTokens(), usage.completionTokens(), "the same tokens bought, once");
            assertEquals(faulty.result().funnel().llmUsage().stream()
                            .mapToDouble(u -> (u.promptTokens() * 1.0 + u.completionTokens() * 2.0) / 1e6).sum(),
                    faulty.result().funnel().llmCostUsd(), 1e-12);
            JsonNode funnelJson = JSON.readTree(b.resolve("funnel.json").toFile());
            assertEquals(instructions * 8L, funnelJson.get("funnel").get("llmUsage").get(0).get("completions").asLong());
        } finally {
            clean.llm().close();
            faulty.llm().close();
        }
    }
}
