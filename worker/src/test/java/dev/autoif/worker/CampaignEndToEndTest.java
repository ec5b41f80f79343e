package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.dataset.DatasetWriter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.telemetry.DashboardQueries;
import dev.autoif.worker.telemetry.Monitoring;
import dev.autoif.worker.telemetry.OtlpReceiver;
import dev.autoif.worker.telemetry.PrometheusText;
import dev.autoif.worker.telemetry.Tracing;
import dev.autoif.worker.temporal.SearchAttributeRegistrar;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.campaign.CampaignConfig;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import io.temporal.client.WorkflowFailedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * A campaign started exactly as a user starts it — {@code temporal workflow start --input-file} —
 * against the real Temporal dev server (CI starts it at TEMPORAL_ADDRESS), with a real worker,
 * real Docker verifier containers and the scripted LLM over real HTTP. The worker serves /prometheus
 * as {@code autoif worker} does (Micronaut, the SDK's metrics scope) and exports traces to an OTLP/HTTP
 * receiver, so the demo run also checks the metrics, the dashboard's queries and the traces.
 */
@Tag("dev-server")
@Tag("docker")
class CampaignEndToEndTest {
    static final String ADDRESS = System.getenv().getOrDefault("TEMPORAL_ADDRESS", "localhost:7233");
    static final String IMAGE = System.getenv().getOrDefault("AUTOIF_VERIFIER_IMAGE", "autoif/verifier:1");
    static final Path DEMO = Path.of("..", "examples", "demo-campaign.json").toAbsolutePath().normalize();
    static final ObjectMapper JSON = new ObjectMapper();

    static Path dataDir;
    static ScriptedLlmServer llm;
    static TemporalConnection temporal;
    static WorkerRuntime worker;
    static EmbeddedServer http;
    static OtlpReceiver otlp;
    static Tracing tracing;

    @BeforeAll
    static void startWorker() throws IOException {
        dataDir = Files.createTempDirectory("autoif-e2e");
        llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load());
        AutoifSettings settings = new AutoifSettings(ADDRESS, "default", llm.baseUrl(), null, ScriptedLlmServer.MODEL,
                60, 8, IMAGE, 2, 512, dataDir.toString());
        http = ApplicationContext.run(EmbeddedServer.class, java.util.Map.of("micronaut.server.port", -1));
        otlp = new OtlpReceiver();
        tracing = Tracing.fromEnvironment(java.util.Map.of(Tracing.ENDPOINT, otlp.endpoint()));
        temporal = TemporalConnection.connect(ADDRESS, "default",
                http.getApplicationContext().getBean(com.uber.m3.tally.Scope.class));
        SearchAttributeRegistrar.ensureRegistered(temporal.service(), "default");
        worker = WorkerAssembly.start(temporal.client(), settings,
                new LlmDefaults(llm.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(60)),
                Monitoring.of(http.getApplicationContext().getBean(PrometheusMeterRegistry.class), tracing));
    }

    @AfterAll
    static void stop() {
        if (worker != null) worker.close();
        if (temporal != null) temporal.close();
        if (llm != null) llm.close();
        if (tracing != null) tracing.close();
        if (otlp != null) otlp.close();
        if (http != null) http.getApplicationContext().close();
    }

    static PrometheusText scrape() throws IOException, InterruptedException {
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(http.getURL() + "/prometheus")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return PrometheusText.parse(response.body());
    }

    static String cli(String... args) throws IOException, InterruptedException {
        CliResult r = cliResult(args);
        assertEquals(0, r.exit(), String.join(" ", args) + " failed:\n" + r.output());
        return r.output();
    }

    record CliResult(int exit, String output) {}

    /** Runs the {@code temporal} CLI against the test's server; the exit code is the caller's to check. */
    static CliResult cliResult(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("temporal"));
        command.addAll(List.of(args));
        command.addAll(List.of("--address", ADDRESS));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "temporal CLI hung: " + command);
        return new CliResult(p.exitValue(), out);
    }

    static void startWithCli(String workflowId, Path inputFile) throws Exception {
        cli("workflow", "start", "--type", CampaignWorkflow.TYPE, "--task-queue", TaskQueues.WORKFLOWS,
                "--workflow-id", workflowId, "--input-file", inputFile.toString());
    }

    static CampaignResult awaitResult(String workflowId) throws Exception {
        return temporal.client().newUntypedWorkflowStub(workflowId).getResult(10, TimeUnit.MINUTES, CampaignResult.class);
    }

    /** Visibility is eventually consistent: poll the CLI until the count settles on what we expect. */
    static int listedCount(String query, int expected) throws Exception {
        int count = -1;
        for (int i = 0; i < 60 && count != expected; i++) {
            if (i > 0) Thread.sleep(500);
            count = JSON.readTree(cli("workflow", "list", "--query", query, "--limit", "1000", "-o", "json")).size();
        }
        return count;
    }

    static List<JsonNode> jsonl(Path file) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) rows.add(JSON.readTree(line));
        }
        return rows;
    }

    /** The rows of a JSONL dataset of the campaign in {@code dir}, all its parts in order. */
    static List<JsonNode> dataset(Path dir, String name) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String part : DatasetWriter.parts(ArtifactStores.filesystemOnly().open(dir.toString()), name)) {
            rows.addAll(jsonl(dir.resolve(part)));
        }
        return rows;
    }

    /**
     * The demo campaign names its query file relative to the repository, as a worker started there sees it; this
     * test's worker runs in worker/, so it gets a copy whose query file is absolute.
     */
    static Path demoInput() throws IOException {
        return demoInput(Integer.MAX_VALUE);
    }

    /**
     * The same with the demo's first {@code seeds} seed instructions only, sampled with a supervision seed of its own
     * (see below) so that it never answers the demo test's instructions from the shared cache.
     */
    static Path demoInput(int seeds) throws IOException {
        return demoInput(seeds, seeds == Integer.MAX_VALUE ? null : 1_000L + seeds);
    }

    /**
     * The same, sampled with its own supervision seed when {@code llmSeed} is given: the class shares one worker and
     * so one completion cache, and a campaign that must not answer another test's demo from that cache (the demo
     * test counts every completion it buys) needs requests of its own.
     */
    static Path demoInput(int seeds, Long llmSeed) throws IOException {
        var campaign = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(DEMO.toFile());
        if (llmSeed != null) {
            campaign.putObject("supervision").put("seed", llmSeed);
        }
        campaign.put("queryFile", DEMO.resolveSibling("demo-queries.jsonl").toString());
        // Priced, so that the funnel (and the metrics) carry a cost.
        campaign.putObject("prices").putObject(ScriptedLlmServer.MODEL).put("promptPerMillion", 0.5).put("completionPerMillion", 1.5);
        var all = (com.fasterxml.jackson.databind.node.ArrayNode) campaign.get("seedInstructions");
        while (all.size() > seeds) all.remove(all.size() - 1);
        Path input = dataDir.resolve((seeds < Integer.MAX_VALUE ? "demo-campaign-" + all.size() : "demo-campaign")
                + (llmSeed != null ? "-seed-" + llmSeed : "") + ".json");
        Files.writeString(input, JSON.writeValueAsString(campaign));
        return input;
    }

    @Test
    void demoCampaignFromTheCliProducesOutputsAndOneChildPerInstruction() throws Exception {
        String id = "e2e-" + UUID.randomUUID();
        long servedBefore = llm.completionsServed();
        PrometheusText before = scrape();
        startWithCli(id, demoInput());
        CampaignResult result = awaitResult(id);
        PrometheusText after = scrape();

        int instructions = JSON.readTree(DEMO.toFile()).get("seedInstructions").size();
        assertEquals(instructions, result.funnel().instructions());
        assertEquals(instructions, result.funnel().kept() + result.funnel().dropped());
        assertTrue(result.funnel().kept() > instructions / 2, "most seed instructions survive: " + result.funnel());
        assertTrue(result.funnel().dropped() > 0, "the fixtures include instructions that must be dropped");

        Path out = Path.of(result.outputDir());
        List<JsonNode> kept = jsonl(out.resolve("verifiers.jsonl"));
        List<JsonNode> dropped = jsonl(out.resolve("dropped.jsonl"));
        assertEquals(result.funnel().kept(), kept.size());
        assertEquals(result.funnel().dropped(), dropped.size());
        for (JsonNode row : kept) {
            assertTrue(row.get("instruction").isTextual());
            assertFalse(row.get("eval_func").isEmpty(), "a kept instruction has kept functions");
            for (JsonNode f : row.get("eval_func")) {
                assertTrue(f.get(0).asText().contains("def evaluate"));
                assertTrue(f.get(1).asDouble() >= 0.8, "reference bar: " + f.get(1));
            }
            for (JsonNode c : row.get("cases")) {
                assertTrue(c.get(0).isTextual() && c.get(1).isBoolean(), "cases are [input, label]: " + c);
            }
        }
        Set<String> reasons = Set.of(DropReason.values()).stream().map(Enum::name).collect(Collectors.toSet());
        for (JsonNode row : dropped) {
            assertTrue(reasons.contains(row.get("reason").asText()), row.toString());
            assertFalse(row.get("detail").asText().isBlank());
        }
        try (var items = Files.list(out.resolve("items"))) {
            List<Path> records = items.filter(f -> Files.isRegularFile(f) && !f.toString().endsWith(".responses.json"))
                    .toList();
            assertEquals(instructions, records.size(), "one lineage record per instruction");
            for (Path record : records) {
                // S2's completions, stored by the activity that bought them, are the record's, raw text included
                String stem = record.getFileName().toString().replaceFirst("\\.json$", "");
                JsonNode stored = JSON.readTree(out.resolve("items").resolve(stem).resolve("samples.json").toFile());
                assertEquals(stored, JSON.readTree(record.toFile()).get("samples"), record.toString());
                assertTrue(stored.size() == 8 && stored.get(0).hasNonNull("raw"), record + ": " + stored); // the demo's K
            }
        }
        // S6's responses, stored by the activity that bought them, are the prompt records' (texts and pairs' sides)
        int promptsChecked = 0;
        try (var prompts = Files.find(out.resolve("items"), 2, (f, a) -> f.getFileName().toString().matches("prompt-\\d+\\.json"))) {
            for (Path prompt : prompts.toList()) {
                JsonNode record = JSON.readTree(prompt.toFile());
                JsonNode stored = JSON.readTree(prompt.resolveSibling(prompt.getFileName().toString()
                        .replace("prompt-", "sampled-")).toFile());
                List<String> texts = new ArrayList<>();
                stored.forEach(r -> texts.add(r.get("text").asText()));
                List<String> recorded = new ArrayList<>();
                record.get("responses").forEach(r -> recorded.add(r.get("text").asText()));
                assertEquals(texts, recorded, prompt.toString());
                for (JsonNode pair : record.get("pairs")) {
                    assertTrue(texts.contains(pair.get("chosen").asText()) && texts.contains(pair.get("rejected").asText()),
                            prompt + ": " + pair);
                }
                promptsChecked++;
            }
        }
        assertEquals(result.funnel().responses().prompts(), promptsChecked, "every prompt's responses were stored");
        // S2: K=8 per instruction; S4: one per back-translated function; S5: one per judged pair. None twice.
        java.util.Map<Stage, Long> completionsByStage = completionsByStage(result);
        List<JsonNode> backTranslations = jsonl(out.resolve("back_translations.jsonl"));
        assertEquals(instructions * 8L, completionsByStage.get(Stage.S2));
        assertEquals(backTranslations.size(), completionsByStage.get(Stage.S4));
        assertEquals(distinctPairs(backTranslations), completionsByStage.get(Stage.S5), "one S5 completion per distinct pair");
        // S6: K=8 per prompt; S8: one judge sample per response that passed the verifiers.
        List<JsonNode> responses = jsonl(out.resolve("responses.jsonl"));
        assertEquals(result.funnel().responses().responses(), responses.size());
        assertEquals(result.funnel().responses().prompts() * 8, completionsByStage.get(Stage.S6));
        assertEquals(responses.stream().filter(r -> r.has("judge_analyses")).count(), completionsByStage.get(Stage.S8));
        assertTrue(result.funnel().responses().sftRows() > 0 && result.funnel().responses().dpoPairs() > 0, result.funnel().toString());
        assertEquals(result.funnel().responses().sftRows(), dataset(out, DatasetWriter.SFT_MESSAGES).size());
        assertEquals(result.funnel().responses().dpoPairs(), dataset(out, DatasetWriter.DPO_TRL).size());
        for (JsonNode r : responses) {
            assertEquals(r.get("kept").asBoolean(), r.get("reason").isNull(), "a dropped response says why: " + r);
        }
        assertEquals(completionsByStage.values().stream().mapToLong(Long::longValue).sum(),
                llm.completionsServed() - servedBefore, "every completion served is booked once");
        assertBackTranslationsDropExactlyTheContradictedInstructions(id, backTranslations, dropped);
        assertWorkerLlmMetricsCountThisCampaign(before, after, result, llm.completionsServed() - servedBefore);
        assertProductMetricsEqualFunnelJson(id, out.resolve("funnel.json"));
        assertDashboardQueriesNameExportedMetrics();
        assertTracesReachTheOtlpReceiver();

        assertEquals(instructions, listedCount("AutoifCampaign=\"" + id + "\"", instructions),
                "temporal workflow list finds one child workflow per instruction");
        int barDrops = result.funnel().droppedByReason().getOrDefault(DropReason.NO_FUNCTION_REACHES_BAR.name(), 0);
        assertTrue(barDrops > 0);
        assertEquals(barDrops, listedCount("AutoifCampaign=\"" + id + "\" AND AutoifDropReason=\""
                + DropReason.NO_FUNCTION_REACHES_BAR.name() + "\"", barDrops));

        // The same campaign again under another ID: every completion comes from the durable cache.
        long servedAfterFirst = llm.completionsServed();
        String again = "e2e-again-" + UUID.randomUUID();
        startWithCli(again, demoInput());
        CampaignResult second = awaitResult(again);
        assertEquals(result.funnel().counts(), second.funnel().counts());
        assertEquals(servedAfterFirst, llm.completionsServed(), "a re-run campaign pays for no completion");
        var usage = second.funnel().llmUsage().get(0);
        assertEquals(instructions * 8L, usage.cacheHits(), "the funnel books every sample of the re-run as a cache hit");
        assertEquals(0, usage.requests() + usage.completions() + usage.completionTokens(), usage.toString());
        assertEquals(instructions * 8L, result.funnel().llmUsage().get(0).completions());
    }

    /**
     * The worker's own LLM counters (what the endpoint answered over HTTP) moved by exactly this campaign's
     * completions and tokens: nothing else ran on the worker meanwhile, and nothing was retried.
     */
    private static void assertWorkerLlmMetricsCountThisCampaign(PrometheusText before, PrometheusText after,
                                                               CampaignResult result, long served) {
        var model = java.util.Map.of("model", ScriptedLlmServer.MODEL);
        java.util.function.ToDoubleFunction<String> delta = name -> after.sum(name, model) - before.sum(name, model);
        var usage = result.funnel().llmUsage();
        assertEquals((double) served, delta.applyAsDouble("autoif_llm_completions_total"));
        assertEquals((double) usage.stream().mapToLong(u -> u.completions()).sum(), delta.applyAsDouble("autoif_llm_completions_total"));
        assertEquals((double) usage.stream().mapToLong(u -> u.promptTokens()).sum(), delta.applyAsDouble("autoif_llm_prompt_tokens_total"));
        assertEquals((double) usage.stream().mapToLong(u -> u.completionTokens()).sum(),
                delta.applyAsDouble("autoif_llm_completion_tokens_total"));
        assertEquals((double) usage.stream().mapToLong(u -> u.requests()).sum(),
                after.sum("autoif_llm_requests_total", java.util.Map.of("model", ScriptedLlmServer.MODEL, "outcome", "ok"))
                        - before.sum("autoif_llm_requests_total", java.util.Map.of("model", ScriptedLlmServer.MODEL, "outcome", "ok")));
        assertTrue(after.sum("autoif_sandbox_evaluations_total", java.util.Map.of())
                > before.sum("autoif_sandbox_evaluations_total", java.util.Map.of()), "the sandbox counted its evaluations");
        assertEquals(0.0, after.sum("autoif_llm_in_flight", java.util.Map.of()), "nothing in flight after the campaign");
        assertTrue(after.sum("autoif_llm_limiter_cap", java.util.Map.of()) >= 1, "the limiter's cap is exported");
    }

    /**
     * The campaign gauges on /prometheus equal funnel.json: instructions, kept, dropped by reason (no other reason),
     * Stage 2 counts, responses dropped by reason, SFT rows, DPO pairs, and per stage/role/model the LLM usage, and the
     * cost. They reach the scrape through the SDK's metrics scope, which reports every 10 s: poll until they settle.
     */
    private static void assertProductMetricsEqualFunnelJson(String id, Path funnelJson) throws Exception {
        JsonNode funnel = JSON.readTree(funnelJson.toFile()).get("funnel");
        var campaign = java.util.Map.of("campaign", id);
        PrometheusText metrics = scrape();
        for (int i = 0; i < 60 && metrics.sum("autoif_campaign_instructions_finished", campaign)
                != funnel.get("finished").asDouble(); i++) {
            Thread.sleep(500);
            metrics = scrape();
        }
        assertEquals(funnel.get("instructions").asDouble(), metrics.sum("autoif_campaign_instructions", campaign));
        assertEquals(funnel.get("finished").asDouble(), metrics.sum("autoif_campaign_instructions_finished", campaign));
        assertEquals(funnel.get("kept").asDouble(), metrics.sum("autoif_campaign_instructions_kept", campaign));
        assertByReason(metrics, "autoif_campaign_instructions_dropped", campaign, funnel.get("droppedByReason"));
        JsonNode responses = funnel.get("responses");
        assertEquals(responses.get("prompts").asDouble(), metrics.sum("autoif_campaign_prompts", campaign));
        assertEquals(responses.get("responses").asDouble(), metrics.sum("autoif_campaign_responses", campaign));
        assertByReason(metrics, "autoif_campaign_responses_dropped", campaign, responses.get("droppedByReason"));
        assertEquals(responses.get("sftRows").asDouble(), metrics.sum("autoif_campaign_sft_rows", campaign));
        assertEquals(responses.get("dpoPairs").asDouble(), metrics.sum("autoif_campaign_dpo_pairs", campaign));
        assertTrue(responses.get("sftRows").asLong() > 0 && funnel.get("droppedByReason").size() > 1, funnel.toString());

        Set<String> stages = new java.util.TreeSet<>();
        for (JsonNode u : funnel.get("llmUsage")) {
            var key = java.util.Map.of("campaign", id, "stage", u.get("stage").asText(), "role", u.get("role").asText(),
                    "model", u.get("model").asText());
            stages.add(u.get("stage").asText());
            for (String[] field : new String[][]{{"requests", "requests"}, {"retries", "retries"}, {"cacheHits", "cache_hits"},
                    {"completions", "completions"}, {"promptTokens", "prompt_tokens"}, {"completionTokens", "completion_tokens"}}) {
                assertEquals(u.get(field[0]).asDouble(), metrics.sum("autoif_campaign_llm_" + field[1], key), key + " " + field[0]);
            }
        }
        assertEquals(stages, metrics.labelValues("autoif_campaign_llm_completions", "stage", campaign));
        assertTrue(funnel.get("llmCostUsd").asDouble() > 0, funnel.toString());
        assertEquals(funnel.get("llmCostUsd").asDouble(), metrics.sum("autoif_campaign_llm_cost_usd", campaign), 1e-9);
    }

    private static void assertByReason(PrometheusText metrics, String name, java.util.Map<String, String> campaign,
                                       JsonNode byReason) {
        Set<String> reasons = new java.util.TreeSet<>();
        byReason.fieldNames().forEachRemaining(reasons::add);
        assertEquals(reasons, metrics.labelValues(name, "reason", campaign), name);
        for (String reason : reasons) {
            var labels = new java.util.HashMap<>(campaign);
            labels.put("reason", reason);
            assertEquals(byReason.get(reason).asDouble(), metrics.sum(name, labels), name + " " + reason);
        }
    }

    /**
     * Every PromQL query of the Grafana dashboard reads only metrics this worker exports: its scrape after a real
     * campaign (the SDK's metrics, with schedule-to-start latency per task queue, arrive every 10 s: poll for them).
     */
    private static void assertDashboardQueriesNameExportedMetrics() throws Exception {
        List<String[]> queries = DashboardQueries.expressions();
        assertTrue(queries.size() >= 10, "the dashboard has its queries: " + queries.size());
        Set<String> wanted = new java.util.TreeSet<>();
        for (String[] q : queries) {
            Set<String> names = DashboardQueries.metricNames(q[1]);
            assertFalse(names.isEmpty(), "panel '" + q[0] + "' reads no metric: " + q[1]);
            wanted.addAll(names);
        }
        assertTrue(wanted.contains("temporal_activity_schedule_to_start_latency_seconds_bucket"), wanted.toString());
        Set<String> missing = new java.util.TreeSet<>(wanted);
        for (int i = 0; i < 60 && !missing.isEmpty(); i++) {
            if (i > 0) Thread.sleep(500);
            missing.removeAll(scrape().names());
        }
        assertEquals(Set.of(), missing, "dashboard metrics the worker does not export");
    }

    /**
     * Traces: Temporal's interceptor gives the campaign, its instruction workflows and every activity a span, and the
     * LLM requests and sandbox runs nest under the activity that made them, all in the campaign's trace: the context
     * travels through Temporal's headers (W3C trace context), and an instruction workflow's run follows from the
     * campaign's StartChildWorkflow span (a reference the OpenTracing shim makes its parent).
     */
    private static void assertTracesReachTheOtlpReceiver() throws Exception {
        tracing.flush();
        List<OtlpReceiver.ReceivedSpan> spans = otlp.spans();
        java.util.Map<String, OtlpReceiver.ReceivedSpan> byId = new java.util.HashMap<>();
        spans.forEach(s -> byId.put(s.spanId(), s));
        java.util.function.Supplier<String> names = () -> "spans by name: " + spans.stream().collect(
                Collectors.groupingBy(OtlpReceiver.ReceivedSpan::name, java.util.TreeMap::new, Collectors.counting()));
        Set<String> campaignTraces = spans.stream().filter(s -> s.name().equals("RunWorkflow:" + CampaignWorkflow.TYPE))
                .map(OtlpReceiver.ReceivedSpan::traceId).collect(Collectors.toSet());
        assertFalse(campaignTraces.isEmpty(), names);
        List<OtlpReceiver.ReceivedSpan> instructions = spans.stream()
                .filter(s -> s.name().equals("RunWorkflow:AutoifInstruction")).toList();
        assertTrue(instructions.size() >= 36, names);
        for (OtlpReceiver.ReceivedSpan run : instructions) {
            OtlpReceiver.ReceivedSpan start = byId.get(run.parentSpanId());
            assertTrue(start != null && start.name().equals("StartChildWorkflow:AutoifInstruction")
                    && campaignTraces.contains(start.traceId()), () -> "instruction run not under a campaign's StartChildWorkflow: " + run);
        }
        for (String name : List.of("llm.request", "sandbox.run")) {
            List<OtlpReceiver.ReceivedSpan> ofName = spans.stream().filter(s -> s.name().equals(name)).toList();
            assertFalse(ofName.isEmpty(), names);
            for (OtlpReceiver.ReceivedSpan span : ofName) {
                OtlpReceiver.ReceivedSpan parent = byId.get(span.parentSpanId());
                assertTrue(parent != null && parent.name().startsWith("RunActivity:"), () -> name + " not under an activity: " + span);
            }
            assertTrue(ofName.stream().anyMatch(s -> campaignTraces.contains(s.traceId())), name + " in a campaign's trace");
        }
        assertTrue(spans.stream().allMatch(s -> s.service().equals("autoif-worker")), "service.name autoif-worker");
    }

    private static long distinctPairs(List<JsonNode> backTranslations) {
        Set<String> pairs = new java.util.HashSet<>();
        for (JsonNode row : backTranslations) {
            row.get("back_translated_instructions").forEach(h -> pairs.add(row.get("instruction").asText() + "\n" + h.asText()));
        }
        return pairs.size();
    }

    static java.util.Map<Stage, Long> completionsByStage(CampaignResult result) {
        return result.funnel().llmUsage().stream().collect(Collectors.groupingBy(
                dev.autoif.workflows.activities.llm.LlmUsage::stage, Collectors.summingLong(u -> u.completions())));
    }

    /**
     * The scripted LLM back-translates a fixture function into its own instruction (entailment), or, for instructions
     * whose hash is a multiple of 7, into its opposite (contradiction): exactly those are dropped, and found by a
     * search-attribute query.
     */
    private void assertBackTranslationsDropExactlyTheContradictedInstructions(String id, List<JsonNode> backTranslations,
                                                                            List<JsonNode> dropped) throws Exception {
        Set<String> contradicted = new java.util.TreeSet<>();
        Set<String> expected = new java.util.TreeSet<>();
        for (JsonNode row : backTranslations) {
            String instruction = row.get("instruction").asText();
            assertTrue(row.get("function").asText().contains("def evaluate"), row.toString());
            assertEquals(row.get("back_translated_instructions").size(), row.get("nli_labels").size(), row.toString());
            assertFalse(row.get("nli_labels").isEmpty(), "every fixture function is back-translated: " + row);
            for (JsonNode label : row.get("nli_labels")) {
                assertTrue(Set.of("ENTAILMENT", "NEUTRAL", "CONTRADICTION").contains(label.asText()), row.toString());
                if (label.asText().equals("CONTRADICTION")) contradicted.add(instruction);
            }
            if (Math.floorMod(instruction.hashCode(), 7) == 0) expected.add(instruction);
        }
        assertFalse(expected.isEmpty(), "the demo has instructions the scripted LLM back-translates contradictorily");
        assertEquals(expected, contradicted);
        Set<String> droppedForIt = dropped.stream()
                .filter(r -> r.get("reason").asText().equals(DropReason.BACK_TRANSLATION_CONTRADICTION.name()))
                .map(r -> r.get("instruction").asText()).collect(Collectors.toCollection(java.util.TreeSet::new));
        assertEquals(contradicted, droppedForIt);
        assertEquals(contradicted.size(), listedCount("AutoifCampaign=\"" + id + "\" AND AutoifDropReason=\""
                + DropReason.BACK_TRANSLATION_CONTRADICTION.name() + "\"", contradicted.size()));
    }

    /**
     * Live control exactly as the README gives it ("Operating a running campaign"), through the temporal CLI: pause
     * (nothing new starts, the instructions in flight finish), a window of 0 rejected by the validator, a window of 2,
     * resume, progress, stopDrawing (in flight finish, then the export, with the stop reason).
     */
    @Test
    void liveControlThroughTheCli() throws Exception {
        String id = "live-" + UUID.randomUUID();
        startWithCli(id, demoInput(Integer.MAX_VALUE, 101L));
        assertTrue(cli("workflow", "update", "execute", "--workflow-id", id, "--name", CampaignWorkflow.PAUSE)
                .contains("paused: no new instruction starts"));
        JsonNode paused = awaitProgress(id, p -> p.get("inFlight").asInt() == 0);
        Thread.sleep(2000);
        JsonNode still = progress(id);
        assertEquals(paused.get("done").asInt(), still.get("done").asInt(), "an instruction finished while paused: " + still);
        assertTrue(still.get("paused").asBoolean() && still.get("done").asInt() < still.get("total").asInt(), still.toString());

        CliResult rejected = cliResult("workflow", "update", "execute", "--workflow-id", id,
                "--name", CampaignWorkflow.SET_MAX_CONCURRENT_INSTRUCTIONS, "--input", "0");
        assertTrue(rejected.exit() != 0 && rejected.output().contains("maxConcurrentInstructions must be between 1 and "
                + CampaignConfig.MAX_CONCURRENT_INSTRUCTIONS + ", got 0"),
                rejected.output());
        assertTrue(cli("workflow", "update", "execute", "--workflow-id", id, "--name",
                CampaignWorkflow.SET_MAX_CONCURRENT_INSTRUCTIONS, "--input", "2").contains("maxConcurrentInstructions 2"));
        assertTrue(cli("workflow", "update", "execute", "--workflow-id", id, "--name", CampaignWorkflow.RESUME)
                .contains("running: up to 2 instructions at once"));
        int before = still.get("done").asInt();
        JsonNode moving = awaitProgress(id, p -> p.get("done").asInt() > before);
        assertTrue(moving.get("inFlight").asInt() <= 2 && moving.get("maxConcurrentInstructions").asInt() == 2, moving.toString());
        assertTrue(cli("workflow", "update", "execute", "--workflow-id", id, "--name", CampaignWorkflow.STOP_DRAWING)
                .contains("STOPPED_BY_OPERATOR"));

        CampaignResult result = awaitResult(id);
        assertTrue(result.funnel().stopReason().startsWith("STOPPED_BY_OPERATOR"), result.funnel().stopReason());
        assertTrue(result.funnel().finished() < result.funnel().instructions(), result.funnel().toString());
        assertTrue(Files.exists(Path.of(result.outputDir(), "sft_messages/part-00000.jsonl")), "exported after the stop");
    }

    /**
     * approveBeforeStage2 through the CLI, with the update names the README gives: the campaign waits after Stage 1 with
     * verifiers.jsonl written and no Stage 2 response sampled; approve is refused before that and accepted then, a
     * second approve is refused, and Stage 2 runs.
     */
    @Test
    void approvalGateThroughTheCli() throws Exception {
        String id = "gate-" + UUID.randomUUID();
        var campaign = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(demoInput(4).toFile());
        campaign.put("approveBeforeStage2", true);
        Path input = dataDir.resolve("gated-campaign.json");
        Files.writeString(input, JSON.writeValueAsString(campaign));
        startWithCli(id, input);
        CliResult early = cliResult("workflow", "update", "execute", "--workflow-id", id, "--name", CampaignWorkflow.APPROVE);
        assertTrue(early.exit() != 0 && early.output().contains("approve is only valid while the campaign waits for approval"),
                early.output());

        JsonNode waiting = awaitProgress(id, p -> "WAITING_FOR_APPROVAL".equals(p.path("approval").asText()));
        assertEquals(4, waiting.get("done").asInt(), waiting.toString());
        assertEquals(0, waiting.get("responses").asInt(), "no Stage 2 response before approval: " + waiting);
        Path out = dataDir.resolve("campaigns").resolve(id); // the worker's data directory; the ID has no odd character
        List<JsonNode> verifiers = jsonl(out.resolve("verifiers.jsonl"));
        assertEquals(waiting.get("kept").asInt(), verifiers.size(), "Stage 1's verifiers are there to read");
        assertTrue(dataset(out, DatasetWriter.SFT_MESSAGES).isEmpty(), "no Stage 2 row before approval");

        assertTrue(cli("workflow", "update", "execute", "--workflow-id", id, "--name", CampaignWorkflow.APPROVE)
                .contains("approved: Stage 2 runs for the " + waiting.get("kept").asInt() + " kept instructions"));
        CliResult twice = cliResult("workflow", "update", "execute", "--workflow-id", id, "--name", CampaignWorkflow.REJECT);
        assertTrue(twice.exit() != 0 && twice.output().contains("reject is only valid while"), twice.output());
        CampaignResult result = awaitResult(id);
        assertNull(result.funnel().stopReason());
        assertEquals(4, result.funnel().finished());
        assertTrue(result.funnel().responses().responses() > 0, result.funnel().toString());
        assertEquals(out.toString(), result.outputDir());
        assertEquals(result.funnel().responses().sftRows(), dataset(out, DatasetWriter.SFT_MESSAGES).size());
    }

    /**
     * {@code temporal workflow cancel}: within seconds no instruction child runs and no verifier container of the
     * campaign is left running; starting the same campaign again finishes it from what was recorded.
     */
    @Test
    void cancelStopsTheChildrenAndAStartAgainFinishesTheCampaign() throws Exception {
        String id = "cancel-" + UUID.randomUUID();
        Path input = demoInput(10); // lean: the campaign runs twice
        startWithCli(id, input);
        awaitProgress(id, p -> p.get("done").asInt() >= 2);
        cli("workflow", "cancel", "--workflow-id", id);
        String running = "AutoifCampaign=\"" + id + "\" AND ExecutionStatus=\"Running\"";
        assertEquals(0, listedCount(running, 0), "instruction children still running after the cancel");
        try (var docker = dev.autoif.activities.sandbox.DockerClients.create(1)) {
            List<String> left = List.of();
            for (int i = 0; i < 40; i++) {
                left = WorkerCrashIT.verifierContainers(docker, id, false);
                if (left.isEmpty()) break;
                Thread.sleep(250);
            }
            assertEquals(List.of(), left, "verifier containers still running 10 s after the cancel");
        }
        startWithCli(id, input);
        CampaignResult result = awaitResult(id);
        int instructions = 10;
        assertEquals(instructions, result.funnel().finished());
        assertEquals(instructions, result.funnel().kept() + result.funnel().dropped());
    }

    /**
     * {@code temporal workflow cancel} aborts the LLM requests in flight: against a model that takes a minute per call
     * (a server that notices a closed connection), no request is still open on it within seconds of the cancel.
     * Without the abort, each would stay open until the server answered, a minute later.
     */
    @Test
    void cancelLeavesNoRequestOpenOnTheModelServer() throws Exception {
        try (ScriptedLlmServer slow = ScriptedLlmServer.watchingDisconnects("127.0.0.1", 0, FixtureBook.load(),
                dev.autoif.worker.fakellm.Faults.none().withLatency(Duration.ofSeconds(60)))) {
            var campaign = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(demoInput(4).toFile());
            campaign.putObject("supervision").put("baseUrl", slow.baseUrl()).put("temperature", 0.61);
            Path input = dataDir.resolve("slow-campaign.json");
            Files.writeString(input, JSON.writeValueAsString(campaign));
            String id = "cancel-slow-" + UUID.randomUUID();
            startWithCli(id, input);
            for (int i = 0; i < 120 && slow.requestsInFlight() < 4; i++) Thread.sleep(250);
            assertEquals(4, slow.requestsInFlight(), "one S2 request per instruction open before the cancel");
            cli("workflow", "cancel", "--workflow-id", id);
            long cancelled = System.nanoTime();
            for (int i = 0; i < 60 && slow.requestsInFlight() > 0; i++) Thread.sleep(250);
            assertEquals(0, slow.requestsInFlight(), "LLM requests still open on the server 15 s after the cancel");
            System.out.printf("cancel: the %d open requests closed within %.1f s%n", 4,
                    (System.nanoTime() - cancelled) / 1e9);
        }
    }

    static JsonNode progress(String id) throws Exception {
        String out = cli("workflow", "query", "--workflow-id", id, "--name", CampaignWorkflow.PROGRESS, "-o", "json");
        JsonNode node = JSON.readTree(out);
        return node.has("queryResult") ? node.get("queryResult").get(0) : node;
    }

    static JsonNode awaitProgress(String id, java.util.function.Predicate<JsonNode> condition) throws Exception {
        JsonNode p = null;
        for (int i = 0; i < 240; i++) {
            CliResult r = cliResult("workflow", "query", "--workflow-id", id, "--name", CampaignWorkflow.PROGRESS, "-o", "json");
            if (r.exit() == 0) { // "workflow is busy" while a task runs: ask again
                JsonNode node = JSON.readTree(r.output());
                p = node.has("queryResult") ? node.get("queryResult").get(0) : node;
                if (condition.test(p)) return p;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("progress never reached the condition; last " + p);
    }

    @Test
    void badCampaignJsonFailsAtOnceNamingTheField() throws Exception {
        String[][] cases = {
                {"{\"seedInstructions\": [\"Answer in French\"], \"verifiersPerInstructon\": 8}", "verifiersPerInstructon"},
                {"{\"seedInstructions\": \"Answer in French\"}", "seedInstructions"},
                {"{\"seedInstructions\": [\"Answer in French\"], \"preset\": \"papr\"}", "preset"},
                {"{\"seedFile\": \"/nonexistent/seeds.txt\"}", "/nonexistent/seeds.txt"},
                {"{\"seedInstructions\": [\"Answer in French\"], \"consistency\": \"nli\"}", "consistency"},
        };
        for (String[] c : cases) {
            Path file = Files.createTempFile(dataDir, "bad", ".json");
            Files.writeString(file, c[0]);
            String id = "e2e-bad-" + UUID.randomUUID();
            startWithCli(id, file);
            long started = System.nanoTime();
            WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> awaitResult(id), c[0]);
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "failed fast: " + c[0]);
            StringBuilder messages = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) messages.append(t.getMessage()).append(" | ");
            assertTrue(messages.toString().contains(c[1]), "message names '" + c[1] + "': " + messages);
        }
    }

    /**
     * S1 in a campaign: three self-instruct completions of the scripted LLM (fixtures 0-2, which overlap on purpose)
     * merged with three seeds. Worked out by hand from the fixtures: 55 "- " items, of which 3 repeat an earlier
     * instruction exactly and 5 are near-duplicates at the configured 0.8 (four differ only in case or punctuation,
     * "exactly 3 paragraphs" shares 8 of 10 words with the seed "exactly three paragraphs"), so 3 + 55 - 8 = 50
     * instructions, each run as a child.
     */
    @Test
    void selfInstructAddsInstructionsAndRecordsEveryMerge() throws Exception {
        List<String> seeds = List.of("Answer with words that begin with the letter 'B'", "Use only capital letters",
                "Answer in exactly three paragraphs separated by blank lines");
        Path file = Files.createTempFile(dataDir, "s1", ".json");
        // Its own temperature keeps its completions out of the cache entries the demo campaign's test counts on.
        JSON.writeValue(file.toFile(), java.util.Map.of("seedInstructions", seeds, "selfInstructCalls", 3,
                "nearDuplicateThreshold", 0.8, "verifiersPerInstruction", 4, "supervision", java.util.Map.of("temperature", 0.3)));
        String id = "e2e-s1-" + UUID.randomUUID();
        startWithCli(id, file);
        CampaignResult result = awaitResult(id);

        Path out = Path.of(result.outputDir());
        List<String> instructions = jsonl(out.resolve("instructions.jsonl")).stream().map(r -> r.get("instruction").asText()).toList();
        assertEquals(50, instructions.size(), String.join("\n", instructions));
        assertEquals(seeds, instructions.subList(0, 3), "the seeds come first, unchanged");
        assertTrue(instructions.contains("Answer with words that begin with the letter 'S'"),
                "one letter apart from a seed is a different instruction, not a near-duplicate");
        assertEquals(50, result.funnel().instructions());
        assertEquals(50, result.funnel().kept() + result.funnel().dropped());
        // From the campaign's own accounting: the dev server is shared, so the LLM's global count may include others'.
        java.util.Map<Stage, Long> samplesByStage = result.funnel().llmUsage().stream().collect(Collectors.groupingBy(
                dev.autoif.workflows.activities.llm.LlmUsage::stage, Collectors.summingLong(u -> u.completions() + u.cacheHits())));
        assertEquals(3L, samplesByStage.get(Stage.S1), "K=3 S1 completions");
        assertEquals(50 * 4L, samplesByStage.get(Stage.S2), "then K=4 per instruction");
        assertEquals(Set.of(Stage.S1, Stage.S2, Stage.S4, Stage.S5), samplesByStage.keySet());
        assertTrue(result.files().contains(out.resolve("merged.jsonl").toAbsolutePath().toString()), result.files().toString());

        List<String> merges = jsonl(out.resolve("merged.jsonl")).stream().map(r -> r.get("kind").asText() + ": "
                + r.get("instruction").asText() + " -> " + r.get("merged_into").asText() + " (" + r.get("similarity").asDouble() + ")").toList();
        assertEquals(List.of(
                "exact: Answer in exactly three paragraphs separated by blank lines -> Answer in exactly three paragraphs separated by blank lines (1.0)",
                "exact: Use only capital letters -> Use only capital letters (1.0)",
                "exact: Use no more than 50 words in your response -> Use no more than 50 words in your response (1.0)",
                "near: Answer in exactly 3 paragraphs separated by blank lines -> Answer in exactly three paragraphs separated by blank lines (0.8)",
                "near: Answer with words that begin with the letter 'S'. -> Answer with words that begin with the letter 'S' (1.0)",
                "near: Use only capital letters. -> Use only capital letters (1.0)",
                "near: Write every sentence in lowercase letters only. -> Write every sentence in lowercase letters only (1.0)",
                "near: Respond with a list of bullet points -> Respond with a list of bullet points. (1.0)"), merges);
        for (JsonNode row : jsonl(out.resolve("merged.jsonl"))) {
            assertTrue(instructions.contains(row.get("merged_into").asText()), "merged into a kept instruction: " + row);
            assertFalse(instructions.contains(row.get("instruction").asText()) && row.get("kind").asText().equals("near"), row.toString());
        }
    }
}
