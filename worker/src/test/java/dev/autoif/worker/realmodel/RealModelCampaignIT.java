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
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * how many requests that took), S2's functions reach S3 and get the sandbox's verdicts (structured output: the schema's
 * func pattern holds the model to a Python definition), and a re-run pays for nothing. The same campaign with
 * structured output off shows what {@code response_format} buys. Both funnels and every completion's outcome are
 * printed ("[real-model]") for the record.
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
     * answers, a token budget), its query file made absolute, with the supervision role's structured output set to
     * {@code structuredOutput} (null: left out, so auto). Nothing else differs between the runs compared.
     */
    static ObjectNode campaign(String structuredOutput) throws Exception {
        Path example = RealModelTools.repoRoot().resolve("examples/real-model-campaign.json");
        ObjectNode c = (ObjectNode) JSON.readTree(example.toFile());
        c.put("queryFile", example.resolveSibling("demo-queries.jsonl").toString());
        if (structuredOutput != null) {
            ((ObjectNode) c.get("supervision")).put("structuredOutput", structuredOutput);
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
            s.append("\n  ").append(u.stage()).append('/').append(u.role().wireName()).append(": requests=").append(u.requests())
                    .append(" completions=").append(u.completions()).append(" cacheHits=").append(u.cacheHits())
                    .append(" tokens=").append(u.promptTokens()).append('+').append(u.completionTokens());
        }
        return s.toString();
    }

    static long stage(CampaignResult r, Stage stage, java.util.function.ToLongFunction<LlmUsage> f) {
        return r.funnel().llmUsage().stream().filter(u -> u.stage() == stage).mapToLong(f).sum();
    }

    @Test
    void aTinyCampaignOnSmolLm2ReachesTheSandboxWithEveryCompletionAccountedForAndARerunPaysNothing() throws Exception {
        long t0 = System.nanoTime();
        CampaignResult plain = run("real-plain-" + UUID.randomUUID(), campaign("off"));
        System.out.printf("[real-model] structured output off (%d s): %s%n", (System.nanoTime() - t0) / 1_000_000_000,
                describe(plain));
        printOutcomes("off", plain);
        assertAddsUp(plain);
        assertEveryCompletionHasAnOutcome(plain);

        long t1 = System.nanoTime();
        CampaignResult result = run("real-" + UUID.randomUUID(), campaign(null)); // structuredOutput left out: auto
        System.out.printf("[real-model] structured output auto (%d s): %s%n", (System.nanoTime() - t1) / 1_000_000_000,
                describe(result));
        printOutcomes("auto", result);
        assertAddsUp(result);
        assertEveryCompletionHasAnOutcome(result);
        System.out.printf("[real-model] S2 answers that are a JSON object: %d with structured output off, %d with auto%n",
                jsonAnswers(plain), jsonAnswers(result));

        // K samples from a server that returns one choice per request: a request per sample (plus the one seed check).
        long s2Completions = stage(result, Stage.S2, LlmUsage::completions);
        assertTrue(s2Completions >= (long) K * result.funnel().instructions(), "S2 bought K per instruction: " + describe(result));
        assertTrue(stage(result, Stage.S2, LlmUsage::requests) >= s2Completions, describe(result));
        List<String> notes = result.funnel().llmUsage().stream().flatMap(u -> u.endpointNotes().stream()).toList();
        assertTrue(notes.stream().anyMatch(n -> n.contains("ignores n")), "llama.cpp ignores n: " + notes);
        String card = Files.readString(Path.of(result.outputDir(), "DATASET_CARD.md"));
        assertTrue(card.contains("ignores n"), "the dataset card says so");

        // The schema's func pattern holds the model to a Python definition: its functions reach S3 and run in the sandbox.
        List<JsonNode> crossValidated = instructionRecords(result).stream().filter(r -> !r.path("matrix").isEmpty()).toList();
        assertFalse(crossValidated.isEmpty(), "no S2 function reached the sandbox with structured output auto");
        for (JsonNode record : crossValidated) {
            assertSandboxVerdicts(record);
        }

        // The same campaign again: everything from the completion cache, nothing paid twice.
        CampaignResult again = run("real-again-" + UUID.randomUUID(), campaign(null));
        assertEquals(result.funnel().counts(), again.funnel().counts());
        for (LlmUsage u : again.funnel().llmUsage()) {
            assertEquals(0, u.requests() + u.completions() + u.completionTokens(), "re-run paid for " + u);
        }
    }

    /** The instruction records (S2-S5 lineage) the campaign wrote, in instruction order. */
    static List<JsonNode> instructionRecords(CampaignResult r) throws Exception {
        try (Stream<Path> items = Files.list(Path.of(r.outputDir(), "items"))) {
            List<JsonNode> records = new ArrayList<>();
            for (Path item : items.filter(p -> p.toString().endsWith(".json") && !p.toString().endsWith(".responses.json"))
                    .sorted().toList()) {
                records.add(JSON.readTree(item.toFile()));
            }
            return records;
        }
    }

    /**
     * Every S2 completion is parsed into a function or says why it is unusable, one record entry per completion bought
     * or read from the cache; every sampled response says why it was dropped, if it was.
     */
    static void assertEveryCompletionHasAnOutcome(CampaignResult r) throws Exception {
        long recorded = 0;
        for (JsonNode record : instructionRecords(r)) {
            for (JsonNode sample : record.path("samples")) {
                recorded++;
                assertTrue(sample.path("func").isTextual() ^ sample.path("parseError").isTextual(),
                        "parsed or unusable, never neither: " + sample);
            }
        }
        assertEquals(stage(r, Stage.S2, LlmUsage::completions) + stage(r, Stage.S2, LlmUsage::cacheHits), recorded,
                "one lineage entry per S2 completion (bought, or from the cache): " + describe(r));
        Path responses = Path.of(r.outputDir(), "responses.jsonl");
        if (Files.exists(responses)) {
            for (String line : Files.readAllLines(responses)) {
                JsonNode response = JSON.readTree(line);
                assertEquals(response.get("kept").asBoolean(), response.get("reason").isNull(), "a dropped response says why: " + response);
            }
        }
    }

    /**
     * S3 ran in the sandbox: one matrix row per distinct function, each either the reason it could not be defined or a
     * verdict per case input (a bool, or the abstention's return type, error or timeout), and the instruction's fate.
     */
    static void assertSandboxVerdicts(JsonNode record) {
        assertEquals(record.path("verifiers").size(), record.path("matrix").size(), "a row per function: " + record);
        int inputs = record.path("matrixInputs").size();
        for (JsonNode row : record.path("matrix")) {
            if (row.path("definitionError").isTextual()) {
                assertTrue(row.path("cells").isEmpty(), row.toString());
                continue;
            }
            assertEquals(inputs, row.path("cells").size(), "a verdict per case input: " + row);
            for (JsonNode cell : row.path("cells")) {
                assertTrue(cell.path("value").isBoolean() || cell.path("returnType").isTextual()
                        || cell.path("error").isTextual() || cell.path("timedOut").asBoolean(), "a verdict: " + cell);
            }
        }
        assertTrue(record.path("dropReason").isNull() || record.path("dropReason").isTextual(), record.toString());
        assertTrue(record.path("detail").isTextual(), "the S3 outcome is described: " + record);
    }

    /** Every S2 completion's recorded outcome and, for those that reached the sandbox, its verdicts ("[real-model]"). */
    static void printOutcomes(String label, CampaignResult r) throws Exception {
        for (JsonNode record : instructionRecords(r)) {
            System.out.printf("[real-model] %s: \"%s\" -> %s (%s)%n", label, record.path("instruction").asText(),
                    record.path("dropReason").isTextual() ? record.path("dropReason").asText() : "kept",
                    record.path("detail").asText());
            for (JsonNode sample : record.path("samples")) {
                String outcome = sample.path("func").isTextual() ? "parsed: " + sample.path("func").asText()
                        + " | " + sample.path("cases").size() + " cases" : sample.path("parseError").asText();
                System.out.printf("[real-model]   S2 sample %d (finish %s): %s%n", sample.path("index").asInt(),
                        sample.path("finishReason").asText(), abbreviate(outcome));
            }
            for (int f = 0; f < record.path("matrix").size(); f++) {
                JsonNode row = record.path("matrix").get(f);
                List<String> cells = new ArrayList<>();
                for (JsonNode cell : row.path("cells")) {
                    cells.add(cell.path("value").isBoolean() ? cell.path("value").asText()
                            : cell.path("timedOut").asBoolean() ? "timeout"
                            : cell.path("error").isTextual() ? "error " + cell.path("error").asText()
                            : "returned " + cell.path("returnType").asText());
                }
                System.out.printf("[real-model]   S3 function %d: %s%n", f, abbreviate(row.path("definitionError").isTextual()
                        ? "not defined: " + row.path("definitionError").asText() : "verdicts " + cells));
            }
        }
    }

    static String abbreviate(String s) {
        String line = s.replace("\n", "\\n");
        return line.length() <= 240 ? line : line.substring(0, 240) + "…";
    }

    /** S2 samples whose answer was a JSON object (parsed, or unusable for a reason other than not being JSON). */
    static long jsonAnswers(CampaignResult r) throws Exception {
        long n = 0;
        for (JsonNode record : instructionRecords(r)) {
            for (JsonNode sample : record.path("samples")) {
                String error = sample.path("parseError").asText("");
                if (!error.startsWith("INVALID_JSON") && !error.startsWith("TRUNCATED")) {
                    n++;
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
