package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.CampaignKeys;
import dev.autoif.activities.llm.AdaptiveConcurrencyLimiter;
import dev.autoif.activities.llm.DiskCompletionCache;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.nli.OnnxJudgeProvider;
import dev.autoif.activities.nli.TinyNliModel;
import dev.autoif.activities.sandbox.SandboxActivitiesImpl;
import dev.autoif.activities.store.CampaignStoreActivitiesImpl;
import dev.autoif.activities.store.ExportActivitiesImpl;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.registration.WorkflowRegistration;
import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * A campaign with {@code "consistency": "onnx"} on Temporal's in-memory server with the real activities: the LLM
 * activity (scripted LLM over HTTP for S2/S4; the ONNX NLI judge for S5, on the NLI task queue only), verifiers in the real Docker sandbox, the
 * real store. Without a model on the worker the campaign fails naming AUTOIF_NLI_MODEL_DIR; with the tiny ONNX model
 * S5 labels every back-translation with the model's probabilities and books no LLM usage.
 */
@Tag("docker")
@Tag("python")
class OnnxConsistencyCampaignTest {
    static final ObjectMapper JSON = new ObjectMapper();

    TestWorkflowEnvironment env;
    ScriptedLlmServer llm;
    Path dir;

    void start(OnnxJudgeProvider nli) throws IOException {
        dir = Files.createTempDirectory("autoif-onnx-campaign");
        llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load());
        env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setDataConverter(WireFormat.dataConverter()).build())
                .build());
        for (var key : SearchAttributes.ALL) {
            env.registerSearchAttribute(key.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
        }
        Worker workflows = env.newWorker(TaskQueues.WORKFLOWS);
        WorkflowRegistration.register(workflows);
        workflows.registerActivitiesImplementations(
                new CampaignStoreActivitiesImpl(ArtifactStores.filesystemOnly(), dir.resolve("data").toString()),
                new ExportActivitiesImpl(ArtifactStores.filesystemOnly()));
        LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(30)),
                new DiskCompletionCache(dir.resolve("llm-cache")), new EndpointLimiters(AdaptiveConcurrencyLimiter.Settings.of(1, 8)));
        LlmDefaults defaults = new LlmDefaults(llm.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(30));
        // The model only where the NLI queue is polled: S5 of an "onnx" campaign succeeds only if routed there.
        env.newWorker(TaskQueues.LLM).registerActivitiesImplementations(new LlmActivitiesImpl(gateway, defaults,
                OnnxJudgeProvider.none(), ArtifactStores.filesystemOnly()));
        env.newWorker(TaskQueues.NLI).registerActivitiesImplementations(new LlmActivitiesImpl(gateway, defaults, nli,
                ArtifactStores.filesystemOnly()));
        AutoifSettings settings = new AutoifSettings(null, "default", null, null, ScriptedLlmServer.MODEL, 30, 8,
                CampaignEndToEndTest.IMAGE, 2, 512, dir.resolve("data").toString());
        env.newWorker(TaskQueues.SANDBOX).registerActivitiesImplementations(
                new SandboxActivitiesImpl(WorkerAssembly.sandbox(settings)));
        env.start();
    }

    @AfterEach
    void stop() {
        if (env != null) env.close();
        if (llm != null) llm.close();
    }

    CampaignResult run(String consistency) throws IOException {
        List<String> seeds = new ArrayList<>();
        JsonNode demo = JSON.readTree(CampaignEndToEndTest.DEMO.toFile()).get("seedInstructions");
        for (int i = 0; i < 3; i++) seeds.add(demo.get(i).asText());
        CampaignInput input = WireFormat.objectMapper().convertValue(JSON.createObjectNode()
                .<com.fasterxml.jackson.databind.node.ObjectNode>set("seedInstructions", JSON.valueToTree(seeds))
                .put("verifiersPerInstruction", 8).put("consistency", consistency), CampaignInput.class);
        return env.getWorkflowClient().newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.WORKFLOWS).setWorkflowId("onnx-" + UUID.randomUUID()).build()).run(input, null);
    }

    @Test
    void withoutAModelOnTheWorkerTheCampaignFailsNamingTheSetting() throws Exception {
        start(OnnxJudgeProvider.none());
        var e = assertThrows(WorkflowFailedException.class, () -> run("onnx"));
        Throwable root = e;
        while (root.getCause() != null) root = root.getCause();
        assertTrue(root.getMessage().contains("set AUTOIF_NLI_MODEL_DIR"), root.getMessage());
    }

    /** AUTOIF_NLI_MODEL_DIR naming a directory without the model stops the worker at startup, naming the file. */
    @Test
    void aConfiguredDirectoryWithoutTheModelStopsTheWorkerAtStartup() throws IOException {
        Path empty = Files.createTempDirectory("autoif-no-nli");
        AutoifSettings settings = new AutoifSettings(null, "default", null, null, "m", 30, 8, "img", 2, 512,
                empty.toString()).withNliModelDir(empty);
        var e = assertThrows(IllegalStateException.class, () -> WorkerAssembly.nliJudge(settings));
        assertTrue(e.getMessage().startsWith("AUTOIF_NLI_MODEL_DIR: ") && e.getMessage().contains("model.onnx, "
                + "tokenizer.json, config.json"), e.getMessage());
        assertEquals(null, WorkerAssembly.nliJudge(settings.withNliModelDir(null)).modelDir());
    }

    @Test
    void withTheModelS5UsesItAndBooksNoLlmUsage() throws Exception {
        Path model = TinyNliModel.build(Files.createTempDirectory("autoif-tiny-nli"), "tiny", false);
        try (OnnxJudgeProvider nli = new OnnxJudgeProvider(model)) {
            start(nli);
            CampaignResult result = run("onnx");
            assertEquals(3, result.funnel().instructions());
            List<JsonNode> rows = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of(result.outputDir()).resolve(CampaignKeys.BACK_TRANSLATIONS))) {
                if (!line.isBlank()) rows.add(JSON.readTree(line));
            }
            assertFalse(rows.isEmpty(), "S4 ran on the kept instructions");
            int judged = 0;
            for (JsonNode row : rows) {
                assertEquals(row.path("nli_labels").size(), row.path("nli_notes").size(), row.toString());
                for (JsonNode note : row.path("nli_notes")) {
                    judged++;
                    assertTrue(note.asText().startsWith("NLI model: entailment "), row.toString());
                }
            }
            assertTrue(judged > 0, "S5 judged the back-translations: " + rows);
            assertTrue(result.funnel().llmUsage().stream().noneMatch(u -> u.stage() == Stage.S5),
                    "no LLM usage for the ONNX judge: " + result.funnel().llmUsage());
            assertTrue(result.funnel().llmUsage().stream().anyMatch(u -> u.stage() == Stage.S4),
                    "S4 still asks the LLM: " + result.funnel().llmUsage());
        }
    }
}
