package dev.autoif.worker.realmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.WorkerAssembly;
import dev.autoif.worker.temporal.SearchAttributeRegistrar;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.LlmUsage;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real model behind a real server: llama.cpp's OpenAI-compatible server (llama-cpp-python) serving SmolLM2-135M-
 * Instruct, a tiny campaign through S1-S9 and D1 against it with the real Temporal dev server and the real Docker
 * sandbox. Whatever a 135M model writes, the product's behaviour is the test: the campaign finishes, every completion
 * has a recorded outcome, the funnel adds up, K samples come from a server that ignores {@code n} (and the usage says
 * how many requests that took), and a re-run pays for nothing. The same seeds without structured output show what
 * {@code response_format} buys. Funnels are printed ("[real-model]") for the record.
 */
@Tag("docker")
@Tag("dev-server")
@Tag("real-model")
class RealModelCampaignIT {
    static final String ADDRESS = System.getenv().getOrDefault("TEMPORAL_ADDRESS", "localhost:7233");
    static final String IMAGE = System.getenv().getOrDefault("AUTOIF_VERIFIER_IMAGE", "autoif/verifier:1");
    static final ObjectMapper JSON = new ObjectMapper();
    static final int K = 2;

    static Path dataDir;
    static RealModelTools.Server llama;
    static TemporalConnection temporal;
    static WorkerRuntime worker;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("autoif-real-model");
        llama = RealModelTools.llamaServer(dataDir);
        AutoifSettings settings = new AutoifSettings(ADDRESS, "default", llama.baseUrl(), null, llama.model(),
                600, 2, IMAGE, 2, 512, dataDir.toString());
        temporal = TemporalConnection.connect(ADDRESS, "default", null);
        SearchAttributeRegistrar.ensureRegistered(temporal.service(), "default");
        worker = WorkerAssembly.start(temporal.client(), settings,
                new LlmDefaults(llama.baseUrl(), null, llama.model(), Duration.ofSeconds(600)));
    }

    @AfterAll
    static void stop() {
        if (worker != null) worker.close();
        if (temporal != null) temporal.close();
        if (llama != null) llama.close();
    }

    /**
     * examples/real-model-campaign.json, the README's "try it locally" campaign (three seeds, one S1 call, K=2, short
     * answers, a token budget), its query file made absolute. Without structured output: S2 only.
     */
    static ObjectNode campaign(String structuredOutput) throws Exception {
        Path example = RealModelTools.repoRoot().resolve("examples/real-model-campaign.json");
        ObjectNode c = (ObjectNode) JSON.readTree(example.toFile());
        c.put("queryFile", example.resolveSibling("demo-queries.jsonl").toString());
        if (structuredOutput != null) {
            ((ObjectNode) c.get("supervision")).put("structuredOutput", structuredOutput);
            c.put("consistency", "none");
            for (String stage2 : List.of("selfInstructCalls", "queryFile", "queriesPerInstruction", "responsesPerQuery",
                    "instructionLevelPairs", "budgetTokens")) {
                c.remove(stage2);
            }
        }
        return c;
    }

    static CampaignResult run(String id, ObjectNode input) throws Exception {
        var stub = temporal.client().newUntypedWorkflowStub(CampaignWorkflow.TYPE, WorkflowOptions.newBuilder()
                .setWorkflowId(id).setTaskQueue(TaskQueues.WORKFLOWS).build());
        stub.start(JSON.treeToValue(input, dev.autoif.workflows.campaign.CampaignInput.class));
        return stub.getResult(30, TimeUnit.MINUTES, CampaignResult.class);
    }

    static String describe(CampaignResult r) {
        StringBuilder s = new StringBuilder("instructions=" + r.funnel().instructions() + " kept=" + r.funnel().kept()
                + " dropped=" + r.funnel().droppedByReason() + " responses=" + r.funnel().responses()
                + " stop=" + r.funnel().stopReason());
        for (LlmUsage u : r.funnel().llmUsage()) {
            s.append("\n  ").append(u.stage()).append('/').append(u.role()).append(": requests=").append(u.requests())
                    .append(" completions=").append(u.completions()).append(" cacheHits=").append(u.cacheHits())
                    .append(" tokens=").append(u.promptTokens()).append('+').append(u.completionTokens());
        }
        return s.toString();
    }

    static long stage(CampaignResult r, String stage, java.util.function.ToLongFunction<LlmUsage> f) {
        return r.funnel().llmUsage().stream().filter(u -> u.stage().equals(stage)).mapToLong(f).sum();
    }

    @Test
    void aTinyCampaignOnSmolLm2FinishesWithEveryCompletionAccountedForAndARerunPaysNothing() throws Exception {
        long t0 = System.nanoTime();
        CampaignResult plain = run("real-plain-" + UUID.randomUUID(), campaign("off"));
        System.out.printf("[real-model] without structured output (%d s): %s%n", (System.nanoTime() - t0) / 1_000_000_000,
                describe(plain));
        assertAddsUp(plain);

        long t1 = System.nanoTime();
        String id = "real-" + UUID.randomUUID();
        CampaignResult result = run(id, campaign(null)); // structuredOutput left out: auto
        System.out.printf("[real-model] with structured output, auto (%d s): %s%n", (System.nanoTime() - t1) / 1_000_000_000,
                describe(result));
        assertAddsUp(result);

        // K samples from a server that returns one choice per request: K requests (plus the one seed check).
        long s2Completions = stage(result, "S2", LlmUsage::completions);
        assertTrue(s2Completions >= 3L * K, "S2 bought K per seed instruction: " + describe(result));
        assertTrue(stage(result, "S2", LlmUsage::requests) >= s2Completions, describe(result));
        List<String> notes = result.funnel().llmUsage().stream().flatMap(u -> u.endpointNotes().stream()).toList();
        assertTrue(notes.stream().anyMatch(n -> n.contains("ignores n")), "llama.cpp ignores n: " + notes);
        String card = Files.readString(Path.of(result.outputDir(), "DATASET_CARD.md"));
        assertTrue(card.contains("ignores n"), "the dataset card says so");

        // Structured output: the server's grammar makes S2 answers JSON objects of the schema's shape (whether SmolLM2
        // puts a real function in them is up to the model: measured, it mostly writes "func": "evaluate").
        long jsonPlain = jsonAnswers(plain), jsonStructured = jsonAnswers(result);
        System.out.printf("[real-model] S2 answers that are a JSON object: %d without structured output, %d with%n",
                jsonPlain, jsonStructured);
        assertTrue(jsonStructured > jsonPlain, "response_format makes the answers JSON: " + jsonStructured + " vs " + jsonPlain);

        // Every S2 completion has a recorded outcome: parsed into a function, or the reason it is unusable.
        long recorded = 0;
        try (Stream<Path> items = Files.list(Path.of(result.outputDir(), "items"))) {
            for (Path item : items.filter(p -> p.toString().endsWith(".json") && !p.toString().endsWith(".responses.json")).toList()) {
                for (JsonNode sample : JSON.readTree(item.toFile()).path("samples")) {
                    recorded++;
                    assertTrue(sample.path("func").isTextual() ^ sample.path("parseError").isTextual(),
                            "parsed or unusable, never neither: " + sample);
                }
            }
        }
        assertEquals(s2Completions + stage(result, "S2", LlmUsage::cacheHits), recorded,
                "one lineage entry per S2 completion (bought, or from the cache)");
        Path responses = Path.of(result.outputDir(), "responses.jsonl");
        if (Files.exists(responses)) {
            for (String line : Files.readAllLines(responses)) {
                JsonNode r = JSON.readTree(line);
                assertEquals(r.get("kept").asBoolean(), r.get("reason").isNull(), "a dropped response says why: " + r);
            }
        }

        // The same campaign again: everything from the completion cache, nothing paid twice.
        CampaignResult again = run("real-again-" + UUID.randomUUID(), campaign(null));
        assertEquals(result.funnel().counts(), again.funnel().counts());
        for (LlmUsage u : again.funnel().llmUsage()) {
            assertEquals(0, u.requests() + u.completions() + u.completionTokens(), "re-run paid for " + u);
        }
    }

    /** S2 samples whose answer was a JSON object (parsed, or unusable for a reason other than not being JSON). */
    static long jsonAnswers(CampaignResult r) throws Exception {
        long n = 0;
        try (Stream<Path> items = Files.list(Path.of(r.outputDir(), "items"))) {
            for (Path item : items.filter(p -> p.toString().endsWith(".json") && !p.toString().endsWith(".responses.json")).toList()) {
                for (JsonNode sample : JSON.readTree(item.toFile()).path("samples")) {
                    String error = sample.path("parseError").asText("");
                    if (!error.startsWith("INVALID_JSON") && !error.startsWith("TRUNCATED")) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    static void assertAddsUp(CampaignResult r) {
        assertNotNull(r.funnel());
        int dropped = r.funnel().droppedByReason().values().stream().mapToInt(Integer::intValue).sum();
        assertEquals(r.funnel().instructions(), r.funnel().kept() + dropped, "kept + dropped = instructions: " + describe(r));
        assertFalse(r.funnel().llmUsage().isEmpty());
    }
}
