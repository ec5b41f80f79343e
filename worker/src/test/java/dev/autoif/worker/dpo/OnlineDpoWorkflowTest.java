package dev.autoif.worker.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.dpo.DpoStoreActivitiesImpl;
import dev.autoif.activities.llm.AdaptiveConcurrencyLimiter;
import dev.autoif.activities.llm.DiskCompletionCache;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.sandbox.SandboxActivitiesImpl;
import dev.autoif.activities.training.TrainingActivitiesImpl;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.WorkerAssembly;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.llm.LlmSettings;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.activities.dpostore.DpoRoundResult;
import dev.autoif.workflows.dpo.DpoRoundSpec;
import dev.autoif.workflows.dpo.OnlineDpoInput;
import dev.autoif.workflows.dpo.OnlineDpoProgress;
import dev.autoif.workflows.dpo.OnlineDpoResult;
import dev.autoif.workflows.dpo.OnlineDpoWorkflow;
import dev.autoif.workflows.dpo.OnlineDpoWorkflows;
import dev.autoif.workflows.dpo.TrainingCommand;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.DataConverterException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkflowImplementationOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Online DPO on Temporal's in-memory server with the real activities: the LLM client against two scripted
 * OpenAI-compatible servers (one per round's policy), verifiers in the real Docker sandbox, and real external training
 * commands (bash scripts).
 */
@Tag("docker")
class OnlineDpoWorkflowTest {
    static final String IMAGE = System.getenv().getOrDefault("AUTOIF_VERIFIER_IMAGE", "autoif/verifier:1");
    static final ObjectMapper JSON = new ObjectMapper();
    static final int K = 8;

    /**
     * The scripted server answers a prompt naming an instruction it has no fixture for with a synthetic verifier
     * completion whose body is one of four variants (sample mod 4) and which names its sample number, so the K
     * responses differ. These functions accept variants 0 and 1 (pass rate 0.75) and reject variants 2 and 3 (pass
     * rate 0; the last function raises on them, an abstention).
     */
    static final List<String> FUNCTIONS = List.of(
            "def evaluate(response):\n    return 'words = response.split()' in response",
            "def evaluate(response):\n    return 'n = len(response.split())' in response",
            "def evaluate(response):\n    return 'words = response.split()' in response or 'n = len(' in response",
            "def evaluate(response):\n    if 'import re' in response or 'count = sum' in response:\n"
                    + "        raise ValueError('not my kind of answer')\n    return 'len(' in response");

    TestWorkflowEnvironment env;
    ScriptedLlmServer policyA;
    ScriptedLlmServer policyB;
    Path dir;
    Path campaignDir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("autoif-online-dpo");
        campaignDir = Files.createDirectories(dir.resolve("campaign"));
        policyA = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load());
        policyB = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load());
        env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setDataConverter(WireFormat.dataConverter()).build())
                .build());
        Worker workflows = env.newWorker(TaskQueues.WORKFLOWS);
        // As WorkflowRegistration does, but one page per run so that every page continues as new.
        OnlineDpoWorkflows.register(workflows, WorkflowImplementationOptions.newBuilder()
                .setFailWorkflowExceptionTypes(DataConverterException.class).build(), 1);
        workflows.registerActivitiesImplementations(new DpoStoreActivitiesImpl(ArtifactStores.filesystemOnly()));
        LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(30)),
                new DiskCompletionCache(dir.resolve("llm-cache")), new EndpointLimiters(AdaptiveConcurrencyLimiter.Settings.of(1, 8)));
        env.newWorker(TaskQueues.LLM).registerActivitiesImplementations(new LlmActivitiesImpl(gateway,
                new LlmDefaults(null, null, ScriptedLlmServer.MODEL, Duration.ofSeconds(30))));
        AutoifSettings settings = new AutoifSettings(null, "default", null, null, ScriptedLlmServer.MODEL, 30, 8, IMAGE, 2,
                512, dir.resolve("data").toString());
        env.newWorker(TaskQueues.SANDBOX).registerActivitiesImplementations(
                new SandboxActivitiesImpl(WorkerAssembly.sandbox(settings)));
        env.newWorker(TaskQueues.TRAINING).registerActivitiesImplementations(new TrainingActivitiesImpl());
        env.start();
    }

    @AfterEach
    void tearDown() {
        env.close();
        policyA.close();
        policyB.close();
    }

    /** prompts.jsonl as the campaign writes it, {@code n} prompts. */
    void writePrompts(int n) throws IOException {
        writePrompts(campaignDir, n);
    }

    static void writePrompts(Path campaignDir, int n) throws IOException {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Map<String, Object> row = new HashMap<>();
            row.put("instructionId", "i" + i);
            row.put("instruction", "Describe verifier number " + i);
            row.put("query", "What is a verifier?");
            row.put("prompt", "Write a checker.\nHere is the instruction: Describe verifier number " + i + "\nThanks.");
            row.put("functions", FUNCTIONS);
            rows.append(JSON.writeValueAsString(row)).append('\n');
        }
        Files.writeString(campaignDir.resolve("prompts.jsonl"), rows.toString());
    }

    Path script(String name, String body) throws IOException {
        Path s = dir.resolve(name);
        Files.writeString(s, "#!/bin/bash\n" + body);
        return s;
    }

    static LlmSettings policy(ScriptedLlmServer server) {
        return new LlmSettings(server.baseUrl(), ScriptedLlmServer.MODEL, null, null, null, null, null);
    }

    OnlineDpoInput input(List<LlmSettings> policies, List<String> command, Path outputDir) {
        return new OnlineDpoInput(campaignDir.toString(), policies.stream().map(DpoRoundSpec::new).toList(), K, null,
                new TrainingCommand(command, 5, Map.of("FAKE_LR", "5e-7"), null), outputDir.toString(), 42L, 2, null, 1,
                50);
    }

    OnlineDpoWorkflow stub(String id) {
        return env.getWorkflowClient().newWorkflowStub(OnlineDpoWorkflow.class,
                WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(TaskQueues.WORKFLOWS).build());
    }

    @Test
    void twoRoundsEachSampledByItsOwnPolicyScoredPairedAndTrained() throws Exception {
        writePrompts(3);
        Path train = script("train.sh", """
                set -e
                echo "round $1 training on $AUTOIF_DPO_PAIRS (lr $FAKE_LR)"
                mkdir -p "$AUTOIF_DPO_OUTPUT_DIR"
                wc -l < "$AUTOIF_DPO_PAIRS" | tr -d ' ' > "$AUTOIF_DPO_OUTPUT_DIR/pairs_seen.txt"
                printf '%s' "$AUTOIF_DPO_PREVIOUS_CHECKPOINT" > "$AUTOIF_DPO_OUTPUT_DIR/previous.txt"
                echo '{"model_type": "fake", "round": '"$AUTOIF_DPO_ROUND"'}' > "$AUTOIF_DPO_OUTPUT_DIR/config.json"
                """);
        Path out = dir.resolve("online");
        OnlineDpoInput input = input(List.of(policy(policyA), policy(policyB)), List.of("bash", train.toString(), "{round}"), out);
        OnlineDpoWorkflow wf = stub("dpo-1");
        OnlineDpoResult result = wf.run(input);

        assertEquals(2, result.rounds().size());
        // Each round asked its own endpoint, and only it, for K responses to each of the 3 prompts.
        assertEquals(3L * K, policyA.completionsServed());
        assertEquals(3L * K, policyB.completionsServed());
        assertEquals(policyA.baseUrl(), result.rounds().get(0).policyBaseUrl());
        assertEquals(policyB.baseUrl(), result.rounds().get(1).policyBaseUrl());

        for (int round = 1; round <= 2; round++) {
            DpoRoundResult r = result.rounds().get(round - 1);
            Path roundDir = out.resolve("round-" + round);
            assertEquals(3, r.prompts());
            assertEquals(0, r.promptsFailed(), String.valueOf(r.failures()));
            assertEquals(3L * K, r.responses());
            // TRL rows: exactly prompt, chosen, rejected; at most 4 per prompt.
            List<String> rows = Files.readAllLines(roundDir.resolve("dpo_pairs.jsonl"));
            assertEquals(r.pairs(), rows.size());
            assertTrue(rows.size() >= 3, "every prompt has chosen and rejected responses: " + rows.size());
            Map<String, Integer> perPrompt = new HashMap<>();
            for (String line : rows) {
                JsonNode row = JSON.readTree(line);
                List<String> keys = new ArrayList<>();
                row.fieldNames().forEachRemaining(keys::add);
                assertEquals(List.of("prompt", "chosen", "rejected"), keys);
                perPrompt.merge(row.get("prompt").asText(), 1, Integer::sum);
                // Independently of the recorded rates: chosen answers are variants 0/1, rejected ones 2/3.
                String chosen = row.get("chosen").asText();
                String rejected = row.get("rejected").asText();
                assertTrue(chosen.contains("words = response.split()") || chosen.contains("n = len("), chosen);
                assertTrue(rejected.contains("import re") || rejected.contains("count = sum"), rejected);
            }
            assertEquals(3, perPrompt.size());
            perPrompt.values().forEach(n -> assertTrue(n <= 4, "pairs per prompt: " + n));
            // The lineage kept beside the TRL file: the pass rates behind each pair.
            try (var pages = Files.list(roundDir.resolve("pairs"))) {
                List<Path> files = pages.sorted().toList();
                assertEquals(3, files.size(), "one page per prompt (promptsPerPage=1)");
                for (Path page : files) {
                    for (String line : Files.readAllLines(page)) {
                        PreferencePair p = WireFormat.objectMapper().readValue(line, PreferencePair.class);
                        assertTrue(p.chosenPassRate() >= 0.5, line);
                        assertEquals(0.0, p.rejectedPassRate(), line);
                        assertEquals(0.75, p.chosenPassRate(), 1e-9, line);
                    }
                }
            }
            // The fake checkpoint, and round.json recording it.
            Path checkpoint = roundDir.resolve("checkpoint");
            assertEquals(checkpoint.toAbsolutePath().toString(), r.checkpoint());
            assertTrue(Files.isRegularFile(checkpoint.resolve("config.json")));
            assertEquals(Long.toString(r.pairs()), Files.readString(checkpoint.resolve("pairs_seen.txt")).strip());
            assertEquals(round == 1 ? "" : result.rounds().get(0).checkpoint(),
                    Files.readString(checkpoint.resolve("previous.txt")));
            JsonNode recorded = JSON.readTree(roundDir.resolve("round.json").toFile());
            assertEquals(r.checkpoint(), recorded.get("checkpoint").asText());
            assertEquals(0, recorded.get("trainingExitCode").asInt());
            assertEquals(r.pairs(), recorded.get("pairs").asLong());
            String log = Files.readString(roundDir.resolve("training.log"));
            assertTrue(log.contains("round " + round + " training on") && log.contains("lr 5e-7"), log);
        }
        assertEquals(result.rounds().get(1).checkpoint(), result.finalCheckpoint());

        OnlineDpoProgress progress = wf.progress();
        assertEquals(new OnlineDpoProgress(2, 2, "done", 3, 0,
                result.rounds().get(0).pairs() + result.rounds().get(1).pairs(), 2), progress);

        // Started again over the same output: every round is returned as recorded; no model call, no training.
        OnlineDpoResult again = stub("dpo-1-again").run(input);
        assertEquals(result, again);
        assertEquals(3L * K, policyA.completionsServed());
        assertEquals(3L * K, policyB.completionsServed());
        String log = Files.readString(out.resolve("round-1").resolve("training.log"));
        assertEquals(1, log.split("=== .* attempt", -1).length - 1, log);
    }

    @Test
    void cancellingTheWorkflowKillsTheTrainingCommandAndItsChildren() throws Exception {
        writePrompts(1);
        Path train = script("hang.sh", """
                echo $$ > "$AUTOIF_DPO_ROUND_DIR/parent.pid"
                sleep 600 &
                echo $! > "$AUTOIF_DPO_ROUND_DIR/child.pid"
                wait
                """);
        Path out = dir.resolve("online");
        WorkflowClient.start(stub("dpo-cancel")::run,
                input(List.of(policy(policyA)), List.of("bash", train.toString()), out));
        Path roundDir = out.resolve("round-1");
        long parent = awaitPid(roundDir.resolve("parent.pid"));
        long child = awaitPid(roundDir.resolve("child.pid"));
        assertTrue(alive(parent) && alive(child));

        WorkflowStub untyped = env.getWorkflowClient().newUntypedWorkflowStub("dpo-cancel");
        long cancelled = System.nanoTime();
        untyped.cancel();
        while ((alive(parent) || alive(child)) && System.nanoTime() - cancelled < TimeUnit.SECONDS.toNanos(20)) {
            Thread.sleep(100);
        }
        double seconds = (System.nanoTime() - cancelled) / 1e9;
        assertFalse(alive(parent), "training command still running " + seconds + " s after cancel");
        assertFalse(alive(child), "its child still running " + seconds + " s after cancel");
        System.out.printf("training command and its child gone %.1f s after cancel%n", seconds);
        assertTrue(seconds < 12, "killed after " + seconds + " s");
        var e = assertThrows(WorkflowFailedException.class, () -> untyped.getResult(10, TimeUnit.SECONDS, OnlineDpoResult.class));
        assertInstanceOf(CanceledFailure.class, e.getCause());
        assertFalse(Files.exists(roundDir.resolve("round.json")));
        assertTrue(Files.readString(roundDir.resolve("training.log")).contains("=== stopped"));
    }

    @Test
    void aFailingTrainingCommandFailsTheWorkflowWithItsExitCodeAndLogTail() throws Exception {
        writePrompts(1);
        Path train = script("fail.sh", """
                echo "loading pairs from $AUTOIF_DPO_PAIRS"
                echo "CUDA out of memory at step 3" >&2
                exit 3
                """);
        var e = assertThrows(WorkflowFailedException.class, () -> stub("dpo-fail").run(
                input(List.of(policy(policyA)), List.of("bash", train.toString()), dir.resolve("online"))));
        ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, e.getCause());
        assertEquals(FailureTypes.TRAINING_COMMAND_FAILED, cause.getType());
        String message = cause.getOriginalMessage();
        assertTrue(message.startsWith("round 1: training failed: the training command exited with code 3"), message);
        assertTrue(message.contains("CUDA out of memory at step 3"), message);

        var missing = assertThrows(WorkflowFailedException.class, () -> stub("dpo-missing").run(
                input(List.of(policy(policyA)), List.of("/no/such/trainer", "--flag"), dir.resolve("online-2"))));
        ApplicationFailure notFound = assertInstanceOf(ApplicationFailure.class, missing.getCause());
        assertEquals(FailureTypes.TRAINING_COMMAND_NOT_FOUND, notFound.getType());
        assertTrue(notFound.getOriginalMessage().contains("/no/such/trainer"), notFound.getOriginalMessage());
    }

    @Test
    void badInputFailsAtOnceNamingTheField() throws Exception {
        WorkflowStub raw = env.getWorkflowClient().newUntypedWorkflowStub(OnlineDpoWorkflow.TYPE,
                WorkflowOptions.newBuilder().setWorkflowId("dpo-raw").setTaskQueue(TaskQueues.WORKFLOWS).build());
        raw.start(Map.of("campaignDir", campaignDir.toString(), "rounds", List.of(Map.of("policy", Map.of())),
                "training", Map.of("command", List.of("true")), "samplesPerPromt", 8));
        var e = assertThrows(WorkflowFailedException.class, () -> raw.getResult(30, TimeUnit.SECONDS, OnlineDpoResult.class));
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("samplesPerPromt"), e.getCause().getMessage());

        List<LlmSettings> one = List.of(policy(policyA));
        Map<String, OnlineDpoInput> bad = Map.of(
                "'rounds'", new OnlineDpoInput(campaignDir.toString(), List.of(), null, null,
                        new TrainingCommand(List.of("true"), null, null, null), null, null, null, null, null, null),
                "'training.command'", new OnlineDpoInput(campaignDir.toString(), one.stream().map(DpoRoundSpec::new).toList(),
                        null, null, new TrainingCommand(List.of(), null, null, null), null, null, null, null, null, null),
                "'samplesPerPrompt'", new OnlineDpoInput(campaignDir.toString(), one.stream().map(DpoRoundSpec::new).toList(),
                        1, null, new TrainingCommand(List.of("true"), null, null, null), null, null, null, null, null, null),
                "'rounds[1].policy'", new OnlineDpoInput(campaignDir.toString(),
                        List.of(new DpoRoundSpec(new LlmSettings(null, "m", null, null, null, null, 7L)),
                                new DpoRoundSpec(new LlmSettings(null, "m", null, null, null, null, 7L))),
                        null, null, new TrainingCommand(List.of("true"), null, null, null), null, null, null, null, null, null));
        int n = 0;
        for (Map.Entry<String, OnlineDpoInput> c : bad.entrySet()) {
            OnlineDpoInput in = c.getValue();
            var failed = assertThrows(WorkflowFailedException.class, () -> stub("dpo-bad-" + c.getKey().hashCode()).run(in));
            ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, failed.getCause());
            assertEquals(FailureTypes.INVALID_CAMPAIGN_INPUT, cause.getType());
            assertTrue(cause.getOriginalMessage().contains(c.getKey()), cause.getOriginalMessage());
            n++;
        }
        assertEquals(4, n);

        // A campaign directory without prompts.jsonl: named, not retried.
        var noPrompts = assertThrows(WorkflowFailedException.class, () -> stub("dpo-no-prompts").run(
                input(List.of(policy(policyA)), List.of("true"), dir.resolve("online"))));
        ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, noPrompts.getCause());
        assertEquals(FailureTypes.INVALID_CAMPAIGN_INPUT, cause.getType());
        assertTrue(cause.getOriginalMessage().contains("has no prompts.jsonl"), cause.getOriginalMessage());
    }

    static long awaitPid(Path file) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                String s = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (!s.isEmpty()) return Long.parseLong(s);
            }
            Thread.sleep(100);
        }
        throw new AssertionError(file + " never written: the training command did not start");
    }

    /** Alive and not a zombie waiting for a reaper. */
    static boolean alive(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return false;
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException gone) {
            return false;
        }
    }
}
