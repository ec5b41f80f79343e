package dev.autoif.workflows.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.ResponseDropReason;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.llm.ConsistencyMode;
import dev.autoif.workflows.instruction.ResponseFunnel;
import dev.autoif.workflows.registration.WorkflowRegistration;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.llm.NliLabel;
import dev.autoif.workflows.activities.store.PromptRecord;
import dev.autoif.workflows.activities.store.QueryDraw;
import dev.autoif.workflows.activities.store.QueryPool;
import dev.autoif.workflows.activities.store.ResponseStageRecord;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.activities.llm.JudgeRequest;
import dev.autoif.workflows.activities.llm.JudgeVerdict;
import dev.autoif.workflows.activities.llm.JudgeVerdicts;
import dev.autoif.workflows.activities.llm.ResponseBatch;
import dev.autoif.workflows.activities.llm.ResponseBatchRequest;
import dev.autoif.workflows.activities.llm.ResponseRequest;
import dev.autoif.workflows.activities.llm.ResponseSample;
import dev.autoif.workflows.activities.llm.ResponseSamples;
import dev.autoif.workflows.activities.llm.SamplesDestination;
import dev.autoif.workflows.activities.llm.StoredJudgeRequest;
import dev.autoif.workflows.activities.llm.StoredResponses;
import dev.autoif.workflows.activities.sandbox.StoredEvaluationBatch;
import dev.autoif.workflows.activities.llm.BackTranslation;
import dev.autoif.workflows.activities.llm.BackTranslationRequest;
import dev.autoif.workflows.activities.store.CampaignStoreActivities;
import dev.autoif.workflows.activities.store.CampaignStoreCalls;
import dev.autoif.workflows.instruction.InstructionWorkflow;
import dev.autoif.workflows.activities.store.ImportQueriesRequest;
import dev.autoif.workflows.activities.store.InstructionPage;
import dev.autoif.workflows.activities.store.MergeInstructionsRequest;
import dev.autoif.workflows.activities.store.PositionalCampaignStore;
import dev.autoif.workflows.activities.store.PrepareCampaignRequest;
import dev.autoif.workflows.activities.store.ReadInstructionRequest;
import dev.autoif.workflows.activities.store.ReadInstructionsRequest;
import dev.autoif.workflows.activities.store.RecordInstructionRequest;
import dev.autoif.workflows.activities.store.RecordPromptRequest;
import dev.autoif.workflows.activities.store.RecordResponsesRequest;
import dev.autoif.workflows.activities.llm.ConsistencyJudgements;
import dev.autoif.workflows.activities.llm.ConsistencyRequest;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.store.InstructionRef;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.llm.NliJudgement;
import dev.autoif.workflows.activities.store.PreparedCampaign;
import dev.autoif.workflows.activities.sandbox.SandboxActivities;
import dev.autoif.workflows.activities.store.SeedSource;
import dev.autoif.workflows.activities.llm.SelfInstructCompletions;
import dev.autoif.workflows.activities.llm.SelfInstructRequest;
import dev.autoif.workflows.activities.llm.VerifierCompletions;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import dev.autoif.workflows.crossval.TestCase;
import io.temporal.activity.ActivityMethod;
import dev.autoif.workflows.instruction.InstructionFailure;
import dev.autoif.workflows.instruction.InstructionOutcome;
import dev.autoif.workflows.instruction.InstructionTask;
import dev.autoif.workflows.crossval.Preset;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.failure.CanceledFailure;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The campaign's orchestration on the Temporal test server with in-memory activities: the bounded
 * window, continue-as-new, the funnel, failing fast on bad input and on fatal activity failures.
 * (The real activities are exercised end to end in the worker module.)
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a campaign that waits forever fails its test instead of hanging CI
class CampaignWorkflowTest {
    private static final int RUN_LENGTH = 7;
    /** History events per campaign run: small, so that 10 instructions cross several runs with children in flight. */
    private static final int EVENTS_PER_RUN = 60;
    private TestWorkflowEnvironment env;
    private final FakeLlm llm = new FakeLlm();
    private final FakeStore store = new FakeStore(llm.storedSamples, llm.storedResponses);
    private final AtomicInteger maxConcurrentBatches = new AtomicInteger();

    @BeforeEach
    void setUp() {
        env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setDataConverter(WireFormat.dataConverter()).build())
                .build());
        for (var key : SearchAttributes.ALL) {
            env.registerSearchAttribute(key.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
        }
        Worker workflows = env.newWorker(TaskQueues.WORKFLOWS);
        WorkflowRegistration.register(workflows, RUN_LENGTH, EVENTS_PER_RUN);
        workflows.registerWorkflowImplementationTypes(EarlierWorkerContinuationImpl.class);
        workflows.registerActivitiesImplementations(store);
        env.newWorker(TaskQueues.LLM).registerActivitiesImplementations(llm);
        env.newWorker(TaskQueues.NLI).registerActivitiesImplementations(llm); // S5 of "onnx" campaigns
        env.newWorker(TaskQueues.SANDBOX).registerActivitiesImplementations(new FakeSandbox(maxConcurrentBatches, llm.storedResponses));
        env.start();
    }

    @AfterEach
    void tearDown() {
        env.close();
    }

    private CampaignWorkflow campaign(String id) {
        return env.getWorkflowClient().newWorkflowStub(CampaignWorkflow.class,
                WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(TaskQueues.WORKFLOWS).build());
    }

    /** Starts a campaign as a client does (no run state) and waits for its result. */
    private CampaignResult run(String id, CampaignInput input) {
        return campaign(id).run(input, null);
    }

    private static CampaignInput input(List<String> seeds, int window) {
        return new CampaignInput(seeds, null, null, 4, "reference", null, window, 5);
    }

    /**
     * S2's completions cross the history once: the activity stores them whole and returns them without their raw text,
     * and the record leaves them to the store. A worker from before (mid-deploy) returns them whole and stores
     * nothing: the record carries them, as it did. Either way the stored record holds every completion's raw text.
     */
    @Test
    void completionsCrossTheHistoryOnceAndAWorkerFromBeforeStillRecordsThem() throws Exception {
        List<String> seeds = List.of("instruction 0", "unparseable instruction 1");
        List<List<String>> raw = List.of(List.of("raw", "raw", "raw", "raw"), List.of("garbage", "garbage", "garbage", "garbage"));
        run("once", input(seeds, 2));
        for (int i = 0; i < 2; i++) {
            RecordInstructionRequest sent = store.recordRequests.get(i);
            assertTrue(sent.samplesInStore() && sent.record().samples().isEmpty(), "instruction " + i + ": " + sent);
            assertEquals(raw.get(i), raw(store.records.get(i)));
            String payloads = payloads(env.getWorkflowClient().fetchHistory(
                    InstructionWorkflow.workflowId("once", store.records.get(i).instructionId())).toJson(false));
            assertTrue(payloads.contains("\"samplesStored\":true"), "S2's result in the instruction's history: " + payloads);
            assertFalse(payloads.contains("\"raw\":\""), "no raw text in its history: " + payloads);
        }

        llm.storesSamples = false;
        store.records.clear();
        run("before", input(seeds, 2));
        for (int i = 0; i < 2; i++) {
            RecordInstructionRequest sent = store.recordRequests.get(i);
            assertFalse(sent.samplesInStore(), "instruction " + i + ": " + sent);
            assertEquals(raw.get(i), raw(sent.record()));
            assertEquals(raw.get(i), raw(store.records.get(i)));
        }
    }

    private static List<String> raw(InstructionRecord record) {
        return record.samples().stream().map(VerifierSample::raw).toList();
    }

    /** Every payload of a history (its JSON carries them in base64), decoded and joined. */
    private static String payloads(String historyJson) {
        return Pattern.compile("\"data\":\\s*\"([A-Za-z0-9+/=]+)\"").matcher(historyJson).results()
                .map(m -> new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8))
                .collect(Collectors.joining("\n"));
    }

    @Test
    void runsEveryInstructionThroughAWindowAcrossContinueAsNew() {
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            seeds.add(i % 8 == 3 ? "unparseable instruction " + i : "instruction " + i);
        }
        seeds.add("instruction 0"); // exact duplicate: removed when the campaign is prepared

        CampaignResult result = run("c1", input(seeds, 3));

        assertEquals(25, result.funnel().instructions());
        assertEquals(25, result.funnel().finished());
        assertEquals(22, result.funnel().kept());
        assertEquals(Map.of(DropReason.NO_PARSEABLE_COMPLETION.name(), 3), result.funnel().droppedByReason());
        assertEquals(25, store.records.size(), "one record per instruction, none twice");
        assertEquals(25, llm.calls.get(), "each instruction's verifiers generated exactly once");
        assertTrue(maxConcurrentBatches.get() <= 3, "window of 3 respected, saw " + maxConcurrentBatches.get());
        InstructionRecord kept = store.records.get(0);
        assertEquals(3, kept.verifiers().stream().filter(v -> v.kept()).count(), "three perfect functions kept");
        assertEquals(1, kept.verifiers().stream().filter(v -> !v.kept()).count(), "the contrarian function dropped");
        assertEquals(0.0, kept.verifiers().get(3).accuracy(), 1e-9);
        assertEquals(1, store.exports.get());
        assertEquals(22 * 3, llm.backTranslated.size(), "S4 for the three kept functions of each kept instruction");
        assertEquals(22, llm.judged.size(), "one S5 call per kept instruction");
        assertEquals(List.of(NliLabel.ENTAILMENT), kept.backTranslations().get(0).judgements().stream()
                .map(NliJudgement::label).toList());
    }

    /**
     * S4/S5: with 5 kept functions only the first 3 (equal accuracy: their order) are back-translated; one contradiction
     * drops the instruction, neutral passes, an unparseable back-translation contributes no hypothesis.
     */
    @Test
    void contradictoryBackTranslationDropsAndNeutralPasses() {
        CampaignResult result = run("c5", json("{\"seedInstructions\": [\"entailed a\", \"contradicted b\", "
                + "\"neutral c\", \"untranslatable d\"], \"verifiersPerInstruction\": 6, \"maxConcurrentInstructions\": 4}"));

        assertEquals(Map.of(DropReason.BACK_TRANSLATION_CONTRADICTION.name(), 1), result.funnel().droppedByReason());
        assertEquals(3, result.funnel().kept());
        assertEquals(4 * 3, llm.backTranslated.size(), "at most 3 functions per instruction");
        InstructionRecord entailed = store.records.get(0);
        assertEquals(5, entailed.verifiers().stream().filter(v -> v.kept()).count());
        assertEquals(entailed.verifiers().subList(0, 3).stream().map(v -> v.func()).toList(),
                entailed.backTranslations().stream().map(b -> b.func()).toList(), "best 3 in stable order");
        InstructionRecord contradicted = store.records.get(1);
        assertEquals(DropReason.BACK_TRANSLATION_CONTRADICTION, contradicted.dropReason());
        assertEquals(List.of(NliLabel.ENTAILMENT, NliLabel.CONTRADICTION, NliLabel.ENTAILMENT), labels(contradicted));
        assertTrue(contradicted.detail().contains("restated contradicted b"), contradicted.detail());
        assertNull(store.records.get(2).dropReason());
        assertEquals(List.of(NliLabel.NEUTRAL, NliLabel.NEUTRAL, NliLabel.NEUTRAL), labels(store.records.get(2)));
        InstructionRecord untranslatable = store.records.get(3);
        assertNull(untranslatable.dropReason());
        assertEquals(3, untranslatable.backTranslations().size());
        assertTrue(untranslatable.backTranslations().stream().allMatch(b -> b.instructions().isEmpty()
                && b.parseError() != null && b.judgements().isEmpty()));
        assertEquals(3, llm.judged.size(), "no S5 call without hypotheses");
    }

    @Test
    void consistencyNoneSkipsBackTranslation() {
        CampaignResult result = run("c6", json("{\"seedInstructions\": [\"contradicted a\"], "
                + "\"verifiersPerInstruction\": 4, \"consistency\": \"none\"}"));
        assertEquals(1, result.funnel().kept());
        assertEquals(0, llm.backTranslated.size());
        assertTrue(store.records.get(0).backTranslations().isEmpty());
    }

    /**
     * consistency "onnx" reaches S5 with that judge kind; a worker without an NLI model fails S5 with
     * NliModelUnavailable, which stops the campaign with the activity's message instead of dropping every instruction.
     */
    @Test
    void onnxConsistencyWithoutAModelOnTheWorkerFailsTheCampaignWithTheMessage() {
        llm.judgeFailWith = ApplicationFailure.newNonRetryableFailure("this worker has no NLI model: set "
                + "AUTOIF_NLI_MODEL_DIR", FailureTypes.NLI_MODEL_UNAVAILABLE);
        var e = assertThrows(WorkflowFailedException.class, () -> run("c7", json("{\"seedInstructions\": "
                + "[\"entailed a\", \"entailed b\"], \"verifiersPerInstruction\": 4, \"consistency\": \"onnx\"}")));
        Throwable root = e;
        while (root.getCause() != null) root = root.getCause();
        assertTrue(root.getMessage().contains("set AUTOIF_NLI_MODEL_DIR"), root.getMessage());
        assertTrue(llm.judgedKinds.contains(ConsistencyMode.ONNX), llm.judgedKinds.toString());
        assertTrue(store.records.isEmpty(), "no instruction recorded as dropped: " + store.records.size());
    }

    @Test
    void consistencyAcceptsLlmOnnxAndNoneOnly() {
        assertEquals(ConsistencyMode.ONNX, CampaignConfig.from(json("{" + seeds(1)
                + ", \"consistency\": \"onnx\"}")).consistency());
        var bad = assertThrows(IllegalArgumentException.class, () -> CampaignConfig.from(json("{" + seeds(1)
                + ", \"consistency\": \"nli\"}")));
        assertTrue(bad.getMessage().contains("\"llm\", \"onnx\" or \"none\""), bad.getMessage());
    }

    private static List<NliLabel> labels(InstructionRecord r) {
        return r.backTranslations().stream().flatMap(b -> b.judgements().stream()).map(NliJudgement::label).toList();
    }

    @Test
    void invalidInputFailsAtOnceNamingTheField() {
        var stub = campaign("c2");
        var e = assertThrows(WorkflowFailedException.class,
                () -> stub.run(new CampaignInput(List.of("x"), null, null, 0, null, null, null, null), null));
        ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, e.getCause());
        assertEquals(FailureTypes.INVALID_CAMPAIGN_INPUT, cause.getType());
        assertTrue(cause.getOriginalMessage().contains("verifiersPerInstruction"), cause.getOriginalMessage());
    }

    @Test
    void unknownFieldInRawJsonFailsTheWorkflowInsteadOfHanging() {
        WorkflowStub stub = env.getWorkflowClient().newUntypedWorkflowStub(CampaignWorkflow.TYPE,
                WorkflowOptions.newBuilder().setWorkflowId("c3").setTaskQueue(TaskQueues.WORKFLOWS).build());
        stub.start(Map.of("seedInstructions", List.of("a"), "verifiersPerInstructon", 8));
        var e = assertThrows(WorkflowFailedException.class, () -> stub.getResult(CampaignResult.class));
        String message = String.valueOf(e.getCause().getMessage());
        assertTrue(message.contains("verifiersPerInstructon"), message);
    }

    @Test
    void aFatalActivityFailureStopsTheCampaignWithItsMessage() {
        llm.failWith = ApplicationFailure.newNonRetryableFailure("LLM endpoint refused the API key", FailureTypes.LLM_AUTH);
        var e = assertThrows(WorkflowFailedException.class, () -> run("c4", input(List.of("a", "b"), 2)));
        Throwable root = e;
        while (root.getCause() != null) root = root.getCause();
        assertTrue(root.getMessage().contains("refused the API key"), root.getMessage());
    }

    /**
     * Live control through the update and query names the README gives: a pause lets the two instructions in flight
     * finish and starts none; the validator rejects a window of 0 with a message; a window of 4 takes effect at once on
     * resume; stopDrawing lets those 4 finish, then exports, and the stop reason says so.
     */
    @Test
    void pauseResizeResumeAndStopDrawingTakeEffectLive() {
        llm.gate = new Semaphore(0);
        WorkflowStub stub = env.getWorkflowClient().newUntypedWorkflowStub(CampaignWorkflow.TYPE,
                WorkflowOptions.newBuilder().setWorkflowId("live").setTaskQueue(TaskQueues.WORKFLOWS).build());
        stub.start(json("{" + seeds(12) + ", \"verifiersPerInstruction\": 4, \"maxConcurrentInstructions\": 2}"));
        waitFor(() -> progress(stub).inFlight() == 2);

        String paused = stub.update(CampaignWorkflow.PAUSE, String.class);
        assertEquals("paused: no new instruction starts; 2 in flight finish", paused);
        Semaphore held = llm.gate;
        waitFor(() -> held.getQueueLength() == 2); // both wait on this gate before the next ones get a new one
        llm.gate = new Semaphore(0);
        held.release(2);
        waitFor(() -> progress(stub).done() == 2 && progress(stub).inFlight() == 0);
        assertTrue(progress(stub).paused());
        assertEquals(2, llm.calls.get(), "no instruction started while paused");

        var rejected = assertThrows(WorkflowUpdateException.class,
                () -> stub.update(CampaignWorkflow.SET_MAX_CONCURRENT_INSTRUCTIONS, String.class, 0));
        Throwable why = rejected;
        while (why.getCause() != null) why = why.getCause();
        assertTrue(why.getMessage().contains("maxConcurrentInstructions must be between 1 and " + CampaignConfig.MAX_CONCURRENT_INSTRUCTIONS + ", got 0"), why.getMessage());
        assertEquals("maxConcurrentInstructions 4 (0 in flight)",
                stub.update(CampaignWorkflow.SET_MAX_CONCURRENT_INSTRUCTIONS, String.class, 4));
        assertEquals("running: up to 4 instructions at once", stub.update(CampaignWorkflow.RESUME, String.class));
        waitFor(() -> progress(stub).inFlight() == 4);
        CampaignProgress running = progress(stub);
        assertEquals(4, running.maxConcurrentInstructions());
        assertEquals(12, running.total());
        assertEquals(2, running.kept());
        assertTrue(running.etaSeconds() != null && running.elapsedSeconds() >= 0, running.toString());

        String stop = stub.update(CampaignWorkflow.STOP_DRAWING, String.class);
        assertTrue(stop.startsWith("STOPPED_BY_OPERATOR: stopDrawing after 2 of 12 instructions finished, 4 in flight"), stop);
        var again = assertThrows(WorkflowUpdateException.class, () -> stub.update(CampaignWorkflow.STOP_DRAWING, String.class));
        assertTrue(String.valueOf(again.getCause().getMessage()).contains("already stopped drawing"), again.getCause().getMessage());
        llm.gate.release(100);
        CampaignResult result = stub.getResult(CampaignResult.class);
        assertEquals(6, result.funnel().finished(), "the four in flight finished, none after them");
        assertTrue(result.funnel().stopReason().startsWith("STOPPED_BY_OPERATOR"), result.funnel().stopReason());
        assertEquals(1, store.exports.get());
        assertEquals(6, store.records.size());
    }

    /** A window set live outlives continue-as-new (7 instructions per run here). */
    @Test
    void aLiveWindowIsCarriedAcrossContinueAsNew() {
        llm.gate = new Semaphore(0);
        WorkflowStub stub = env.getWorkflowClient().newUntypedWorkflowStub(CampaignWorkflow.TYPE,
                WorkflowOptions.newBuilder().setWorkflowId("carried").setTaskQueue(TaskQueues.WORKFLOWS).build());
        stub.start(json("{" + seeds(10) + ", \"verifiersPerInstruction\": 4, \"maxConcurrentInstructions\": 1}"));
        waitFor(() -> progress(stub).inFlight() == 1);
        stub.update(CampaignWorkflow.SET_MAX_CONCURRENT_INSTRUCTIONS, String.class, 3);
        waitFor(() -> progress(stub).inFlight() == 3);
        llm.gate.release(100);
        CampaignResult result = stub.getResult(CampaignResult.class);
        assertEquals(10, result.funnel().finished());
        CampaignProgress last = env.getWorkflowClient().newUntypedWorkflowStub("carried")
                .query(CampaignWorkflow.PROGRESS, CampaignProgress.class);
        assertEquals(3, last.maxConcurrentInstructions(), "the second run kept the window set in the first");
        assertEquals(10, last.done());
    }

    /**
     * No drain: a run continues as new (every {@value #EVENTS_PER_RUN} history events here) with its window full, the
     * checkpoint carries the instructions in flight, their children report to the next run by signal, and every
     * instruction is counted exactly once (outcomes signalled while a run was continuing as new included: the server
     * rejects that continue-as-new and the run counts them first).
     */
    @Test
    void continueAsNewWithChildrenInFlightCountsEveryInstructionExactlyOnce() {
        WorkflowStub stub = untyped("no-drain");
        WorkflowExecution first = stub.start(json("{" + seeds(40) + ", \"verifiersPerInstruction\": 4, "
                + "\"maxConcurrentInstructions\": 6}"));
        CampaignResult result = stub.getResult(CampaignResult.class);

        assertEquals(40, result.funnel().instructions());
        assertEquals(40, result.funnel().finished());
        assertEquals(40, result.funnel().kept() + result.funnel().dropped());
        assertEquals(40, store.records.size(), "one record per instruction, none twice");
        assertEquals(40, llm.calls.get(), "each instruction's verifiers generated exactly once");
        List<Map<Integer, String>> carried = new ArrayList<>();
        int runs = 0;
        for (String runId = first.getRunId(); runId != null; runs++) {
            List<HistoryEvent> events = env.getWorkflowClient().fetchHistory("no-drain", runId).getEvents();
            HistoryEvent last = events.get(events.size() - 1);
            runId = null;
            if (last.hasWorkflowExecutionContinuedAsNewEventAttributes()) {
                var continued = last.getWorkflowExecutionContinuedAsNewEventAttributes();
                CampaignInput next = WireFormat.dataConverter().fromPayloads(0, Optional.of(continued.getInput()),
                        CampaignInput.class, CampaignInput.class);
                assertNull(next.legacyResume(), "the input stays as the user wrote it");
                assertEquals(2, continued.getInput().getPayloadsCount());
                CampaignCheckpoint state = WireFormat.dataConverter().fromPayloads(1, Optional.of(continued.getInput()),
                        CampaignCheckpoint.class, CampaignCheckpoint.class);
                carried.add(state.inFlight());
                runId = continued.getNewExecutionRunId();
            }
        }
        assertTrue(runs >= 3, "several runs: " + runs);
        assertTrue(carried.stream().filter(inFlight -> !inFlight.isEmpty()).count() >= 2,
                "runs continued as new with children in flight: " + carried);
    }

    /**
     * An instruction whose campaign the server does not find when it reports (closed, or between two runs on a
     * server that is not atomic about continue-as-new, as the test server was once seen to be: the campaign then
     * waited forever for an instruction that had failed) sends its report again a few times, then ends with a
     * warning instead of failing.
     */
    @Test
    void anInstructionWhoseCampaignIsNotFoundReportsAgainThenEnds() {
        InstructionTask task = new InstructionTask("gone", "gone", 0, "id0", "instruction 0", null, 4, "reference",
                Preset.REFERENCE.crossValidation(), 5, false, 100, ConsistencyMode.NONE, null, null, false, true);
        InstructionWorkflow instruction = env.getWorkflowClient().newWorkflowStub(InstructionWorkflow.class,
                WorkflowOptions.newBuilder().setWorkflowId(InstructionWorkflow.workflowId("gone", "id0"))
                        .setTaskQueue(TaskQueues.WORKFLOWS).build());
        assertNull(instruction.run(task), "the outcome went (or would have gone) by signal");
        assertEquals(1, store.records.size(), "its record is stored all the same");
        long reports = env.getWorkflowClient().fetchHistory(InstructionWorkflow.workflowId("gone", "id0")).getEvents()
                .stream().filter(e -> e.hasSignalExternalWorkflowExecutionInitiatedEventAttributes()).count();
        assertEquals(5, reports, "the report was sent five times");
    }

    /**
     * An outcome signalled again (a retried report) or a failure reported for an instruction no longer in flight
     * changes nothing: outcomes count once by instruction index and ID.
     */
    @Test
    void aRepeatedReportIsCountedOnce() {
        llm.gate = new Semaphore(0);
        WorkflowStub stub = untyped("repeated");
        stub.start(json("{" + seeds(3) + ", \"verifiersPerInstruction\": 4, \"maxConcurrentInstructions\": 3}"));
        Semaphore held = llm.gate;
        waitFor(() -> held.getQueueLength() == 3);
        held.release(1);
        waitFor(() -> progress(stub).done() == 1);
        int finished = store.records.keySet().iterator().next();
        InstructionOutcome repeated = new InstructionOutcome(finished, "id" + finished, null, "", 4, 4, List.of(),
                ResponseFunnel.empty());
        stub.signal(CampaignWorkflow.INSTRUCTION_FINISHED, repeated);
        stub.signal(CampaignWorkflow.INSTRUCTION_FINISHED, repeated);
        stub.signal(CampaignWorkflow.INSTRUCTION_FAILED, new InstructionFailure(finished, "id" + finished,
                FailureTypes.LLM_AUTH, "a stale report"));
        held.release(100); // the other two report only now, after the repeats
        CampaignResult result = stub.getResult(CampaignResult.class);
        assertEquals(3, result.funnel().finished());
        assertEquals(3, result.funnel().kept());
    }

    /**
     * Children start abandoned, so cancelling the campaign must cancel them itself, including the ones a previous run
     * started: here the campaign is cancelled in a continued run with three children in flight, started by earlier
     * runs, and all three end cancelled.
     */
    @Test
    void cancellingTheCampaignCancelsChildrenStartedByEarlierRuns() {
        llm.gate = new Semaphore(0);
        WorkflowStub stub = untyped("cancelled");
        stub.start(json("{" + seeds(40) + ", \"verifiersPerInstruction\": 4, \"maxConcurrentInstructions\": 3}"));
        Map<Integer, String> inFlight;
        while (true) { // let instructions finish one at a time until a continued run holds three from earlier runs
            waitFor(() -> llm.gate.getQueueLength() == 3);
            Map<Integer, String> carried = carriedInFlight("cancelled");
            if (carried.size() == 3 && carried.keySet().stream().noneMatch(store.records::containsKey)) {
                inFlight = carried;
                break;
            }
            int done = store.records.size();
            assertTrue(done < 37, "no run continued as new with three children in flight");
            llm.gate.release(1);
            waitFor(() -> store.records.size() > done);
        }
        stub.cancel();
        assertThrows(WorkflowFailedException.class, () -> stub.getResult(CampaignResult.class));
        for (String instructionId : inFlight.values()) {
            WorkflowStub child = env.getWorkflowClient().newUntypedWorkflowStub(
                    InstructionWorkflow.workflowId("cancelled", instructionId));
            var e = assertThrows(WorkflowFailedException.class, () -> child.getResult(InstructionOutcome.class));
            assertInstanceOf(CanceledFailure.class, e.getCause(), instructionId);
        }
        llm.gate.release(1000);
    }

    /** The instructions in flight the current run of a campaign started with (empty for its first run). */
    private Map<Integer, String> carriedInFlight(String campaignId) {
        HistoryEvent started = env.getWorkflowClient().fetchHistory(campaignId).getEvents().get(0);
        CampaignCheckpoint state = WireFormat.dataConverter().fromPayloads(1,
                Optional.of(started.getWorkflowExecutionStartedEventAttributes().getInput()),
                CampaignCheckpoint.class, CampaignCheckpoint.class);
        return state == null || state.inFlight() == null ? Map.of() : state.inFlight();
    }

    /**
     * The run state is the campaign's own: a user who writes 'resume' into the campaign JSON (where earlier workers
     * carried it), or passes a second argument, is told so at once.
     */
    @Test
    void aCampaignStartedWithARunStateFailsNamingIt() {
        WorkflowStub withResume = untyped("forged");
        withResume.start(json("{\"seedInstructions\": [\"x\"], \"resume\": {\"outputDir\": \"dir\", "
                + "\"instructionCount\": 1, \"nextIndex\": 0}}"));
        var e = assertThrows(WorkflowFailedException.class, () -> withResume.getResult(CampaignResult.class));
        ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, e.getCause());
        assertEquals(FailureTypes.INVALID_CAMPAIGN_INPUT, cause.getType());
        assertTrue(cause.getOriginalMessage().contains("'resume' is set by the campaign itself"), cause.getOriginalMessage());

        CampaignCheckpoint forged = new CampaignCheckpoint("dir", 1, 0, Funnel.start(1), null, null, null, null);
        e = assertThrows(WorkflowFailedException.class, () -> campaign("forged-2").run(input(List.of("x"), 1), forged));
        cause = assertInstanceOf(ApplicationFailure.class, e.getCause());
        assertEquals(FailureTypes.INVALID_CAMPAIGN_INPUT, cause.getType());
        assertTrue(cause.getOriginalMessage().contains("second argument is the campaign's own continue-as-new state"),
                cause.getOriginalMessage());
        assertTrue(store.instructions.isEmpty(), "nothing prepared");
    }

    /**
     * A run an earlier worker continued as new carries its checkpoint inside the input ('resume', one argument): the
     * current code resumes it there, instruction 0 counted already and not run again, and hands the next run its
     * state beside the input.
     */
    @Test
    void aRunContinuedAsNewByAnEarlierWorkerResumesFromTheCheckpointInItsInput() {
        store.instructions.put("earlier", List.of("a", "b", "c"));
        CampaignCheckpoint carried = new CampaignCheckpoint("earlier", 3, 1, Funnel.start(3).withKept(), null, null,
                null, null);
        Map<String, Object> earlierInput = Map.of("seedInstructions", List.of("a", "b", "c"),
                "verifiersPerInstruction", 4, "maxConcurrentInstructions", 1,
                "resume", WireFormat.internalObjectMapper().convertValue(carried, Map.class));
        WorkflowStub stub = env.getWorkflowClient().newUntypedWorkflowStub(EarlierWorkerContinuation.TYPE,
                WorkflowOptions.newBuilder().setWorkflowId("earlier").setTaskQueue(TaskQueues.WORKFLOWS).build());
        stub.start(earlierInput);
        CampaignResult result = stub.getResult(CampaignResult.class);
        assertEquals(3, result.funnel().finished());
        assertEquals(3, result.funnel().kept());
        assertEquals(Set.of(1, 2), store.records.keySet(), "instruction 0 was done by the earlier worker");
        assertEquals(2, llm.calls.get());
    }

    /** What an earlier worker (before the run state travelled beside the input) did when it continued a campaign as new. */
    @io.temporal.workflow.WorkflowInterface
    public interface EarlierWorkerContinuation {
        String TYPE = "EarlierWorkerContinuation";

        @io.temporal.workflow.WorkflowMethod(name = TYPE)
        void run(Map<String, Object> campaignInputWithResume);
    }

    public static class EarlierWorkerContinuationImpl implements EarlierWorkerContinuation {
        @Override
        public void run(Map<String, Object> campaignInputWithResume) {
            Workflow.continueAsNew(CampaignWorkflow.TYPE, null, campaignInputWithResume);
        }
    }

    /**
     * A continued run takes the settings its checkpoint froze at the start (here 6 verifiers per instruction, where
     * the input would now resolve to 4); a checkpoint from before freezing resolves the input again.
     */
    @Test
    void aContinuedRunKeepsTheSettingsFrozenAtTheStart() {
        CampaignInput input = json("{" + seeds(2) + ", \"verifiersPerInstruction\": 4}");
        CampaignConfig atStart = CampaignConfig.from(json("{" + seeds(2) + ", \"verifiersPerInstruction\": 6}"));
        CampaignCheckpoint frozen = new CampaignCheckpoint("dir", 2, 1, Funnel.start(2), null, null, atStart,
                atStart.preset().crossValidation());
        assertEquals(6, CampaignWorkflowImpl.frozenConfig(input, frozen).verifiersPerInstruction());
        CampaignCheckpoint older = new CampaignCheckpoint("dir", 2, 1, Funnel.start(2), null, null, null, null);
        assertEquals(4, CampaignWorkflowImpl.frozenConfig(input, older).verifiersPerInstruction());
    }

    private static CampaignProgress progress(WorkflowStub stub) {
        return stub.query(CampaignWorkflow.PROGRESS, CampaignProgress.class);
    }

    private static void waitFor(BooleanSupplier condition) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not reached within 30 s");
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static CampaignInput json(String campaign) {
        try {
            return WireFormat.objectMapper().readValue(campaign, CampaignInput.class);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String seeds(int n) {
        List<String> quoted = new ArrayList<>();
        for (int i = 0; i < n; i++) quoted.add("\"instruction " + i + "\"");
        return "\"seedInstructions\": [" + String.join(", ", quoted) + "]";
    }

    /**
     * A new campaign takes the request branch of "store-request-records": its histories (the campaign's and a Stage 2
     * instruction's) hold the marker and only the ...V2 store types, and replay against the current code. Past
     * "instruction-writes-local", the instruction's writes are local activities: markers in its history, no activity
     * tasks (so their inputs, the records, are not in it either).
     */
    @Test
    void newRunsScheduleTheRequestStoreTypesAndReplay() throws Exception {
        run("v2", json("{" + seeds(2) + ", \"verifiersPerInstruction\": 4, \"consistency\": \"none\", "
                + "\"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, \"responsesPerQuery\": 4}"));
        Set<String> storeTypes = Arrays.stream(CampaignStoreActivities.class.getMethods())
                .map(m -> m.getAnnotation(ActivityMethod.class).name()).collect(Collectors.toSet());
        TestWorkflowEnvironment replayOnly = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setDataConverter(WireFormat.dataConverter()).build())
                .build());
        Worker replayer = replayOnly.newWorker(TaskQueues.WORKFLOWS);
        WorkflowRegistration.register(replayer, RUN_LENGTH, EVENTS_PER_RUN);
        for (String id : List.of("v2", InstructionWorkflow.workflowId("v2", "id0"))) {
            WorkflowExecutionHistory history = env.getWorkflowClient().fetchHistory(id);
            List<String> scheduled = history.getEvents().stream()
                    .filter(e -> e.hasActivityTaskScheduledEventAttributes())
                    .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
                    .filter(storeTypes::contains).distinct().toList();
            assertEquals(id.equals("v2") ? List.of("PrepareCampaignV2", "ImportQueriesV2", "ReadInstructionsV2")
                    : List.of("DrawQueries"), scheduled, id);
            List<String> markers = history.getEvents().stream().filter(HistoryEvent::hasMarkerRecordedEventAttributes)
                    .map(e -> e.getMarkerRecordedEventAttributes().getDetailsMap().toString()).toList();
            assertTrue(markers.stream().anyMatch(m -> m.contains(CampaignStoreCalls.CHANGE_ID)), id + " records the marker");
            if (!id.equals("v2")) {
                assertTrue(markers.stream().anyMatch(m -> m.contains(CampaignStoreCalls.LOCAL_WRITES_CHANGE_ID)), markers.toString());
                for (String write : List.of("RecordPromptV2", "RecordResponsesV2", "RecordInstructionV2")) {
                    assertTrue(markers.stream().anyMatch(m -> m.contains(write)), write + " ran as a local activity");
                }
            }
            WorkflowReplayer.replayWorkflowExecution(history, replayer);
        }
        replayOnly.close();
    }

    /**
     * S6 to S9 and D1: per prompt, the fake model answers K=4 (yes 0, no 1, yes 2, no 3); the kept "yes" functions
     * accept exactly the "yes" responses (pass rate 1, the others 0); the judge gives 9 to "yes 0" only. So each
     * prompt yields one SFT row and 2 x 2 DPO pairs, and every other response is dropped with its reason.
     */
    @Test
    void stageTwoKeepsVerifiedJudgedResponsesAndPairsTheRest() {
        CampaignResult result = run("s2", json("{" + seeds(3) + ", \"verifiersPerInstruction\": 4, "
                + "\"consistency\": \"none\", \"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, "
                + "\"responsesPerQuery\": 4, \"maxConcurrentInstructions\": 2}"));

        ResponseFunnel r = result.funnel().responses();
        assertEquals(6, r.prompts());
        assertEquals(24, r.responses());
        assertEquals(6, r.sftRows());
        assertEquals(24, r.dpoPairs());
        assertEquals(Map.of("BELOW_PASS_RATE", 12L, "BELOW_JUDGE_SCORE", 6L), r.droppedByReason());
        assertEquals(100, result.queryPool().queries());
        assertEquals(3, store.responses.size(), "one response record per kept instruction, none twice");
        ResponseStageRecord first = store.responses.get(0);
        assertEquals(3, first.functions().size(), "scored with the three kept functions only");
        assertEquals(2, first.prompts());
        assertEquals(6, store.prompts.size(), "one record per prompt, none twice");
        PromptRecord prompt = store.prompts.get("0/0");
        assertEquals("query 0-0", prompt.query());
        assertEquals("Query 0-0. Instruction 0.", prompt.prompt());
        assertEquals(List.of(true, true, true), prompt.responses().get(0).verdicts());
        assertEquals(1.0, prompt.responses().get(0).passRate(), 1e-9);
        assertTrue(prompt.responses().get(0).kept());
        assertEquals(ResponseDropReason.BELOW_PASS_RATE, prompt.responses().get(1).dropReason());
        assertNull(prompt.responses().get(1).judge(), "a response that fails S7 never reaches the judge");
        assertEquals(ResponseDropReason.BELOW_JUDGE_SCORE, prompt.responses().get(2).dropReason());
        assertEquals(4, prompt.pairs().size());
        for (PreferencePair pair : prompt.pairs()) {
            assertTrue(pair.chosen().startsWith("yes") && pair.rejected().startsWith("no"), pair.toString());
        }
        assertNull(result.funnel().stopReason());
        assertTrue(store.lastExport.config().hasQueries());
        assertEquals(3, llm.batches.get(), "S6: one activity per kept instruction, carrying its prompts");
    }

    /**
     * S6's responses stay in the store: S6 returns their digests, S7 and S8 read them by reference, and the prompt's
     * record (pairs by digest) is completed by the store, so no response text crosses the instruction's history. A
     * worker from before (mid-deploy) returns them whole, and they travel as they did. The stored records are equal.
     */
    @Test
    void stageTwoResponsesStayInTheStoreAndAWorkerFromBeforeStillRecordsThem() throws Exception {
        String campaign = "{" + seeds(2) + ", \"verifiersPerInstruction\": 4, \"consistency\": \"none\", "
                + "\"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, \"responsesPerQuery\": 4}";
        run("by-reference", json(campaign));
        assertEquals(4, store.promptRequests.size());
        Map<String, PromptRecord> byReference = new TreeMap<>(store.prompts);
        for (var sent : store.promptRequests.entrySet()) {
            assertTrue(sent.getValue().responsesInStore(), sent.getKey());
            assertTrue(sent.getValue().record().responses().stream().allMatch(r -> r.text() == null), sent.getKey());
        }
        List<String> texts = llm.storedResponses.values().stream().flatMap(List::stream).map(ResponseSample::text).toList();
        assertEquals(16, texts.size());
        for (int i = 0; i < 2; i++) {
            String payloads = payloads(env.getWorkflowClient().fetchHistory(
                    InstructionWorkflow.workflowId("by-reference", store.records.get(i).instructionId())).toJson(false));
            assertTrue(payloads.contains("\"responsesStored\":true"), "S6's result: " + payloads);
            for (String text : texts) {
                assertFalse(payloads.contains(text), "instruction " + i + "'s history holds '" + text + "'");
            }
        }

        llm.storesResponses = false;
        store.prompts.clear();
        store.promptRequests.clear();
        store.responses.clear();
        store.records.clear();
        run("before", json(campaign));
        for (var sent : store.promptRequests.entrySet()) {
            assertFalse(sent.getValue().responsesInStore(), sent.getKey());
        }
        assertEquals(byReference, new TreeMap<>(store.prompts));
        assertTrue(byReference.get("0/0").pairs().get(0).chosen().startsWith("yes "), "pairs hold texts, not digests");
    }

    /** A prompt the endpoint refuses for good loses its own responses only; the batch's other prompts go on. */
    @Test
    void aPromptRefusedInTheSamplingBatchIsDroppedAlone() {
        llm.refusePrompt = "[Query] query 1-1";
        CampaignResult result = run("s2-refused", json("{" + seeds(3) + ", \"verifiersPerInstruction\": 4, "
                + "\"consistency\": \"none\", \"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, "
                + "\"responsesPerQuery\": 4, \"maxConcurrentInstructions\": 2}"));

        ResponseFunnel r = result.funnel().responses();
        assertEquals(6, r.prompts());
        assertEquals(20, r.responses(), "the refused prompt has none");
        assertEquals(5, r.sftRows());
        assertEquals("S6 sampling failed: the endpoint refuses this prompt [LlmBadRequest]",
                store.prompts.get("1/1").error());
        assertTrue(store.prompts.get("1/1").responses().isEmpty());
        assertNull(store.prompts.get("1/0").error());
        assertEquals(4, store.prompts.get("1/0").responses().size());
    }

    private static final String GATED = ", \"verifiersPerInstruction\": 4, \"consistency\": \"none\", "
            + "\"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, \"responsesPerQuery\": 4, "
            + "\"maxConcurrentInstructions\": 2, \"approveBeforeStage2\": true}";

    private WorkflowStub untyped(String id) {
        return env.getWorkflowClient().newUntypedWorkflowStub(CampaignWorkflow.TYPE,
                WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(TaskQueues.WORKFLOWS).build());
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage();
    }

    /**
     * approveBeforeStage2: Stage 1 of all 9 instructions runs (across continue-as-new, 7 per run here) without a single
     * Stage 2 call, Stage 1 is exported and progress says the campaign waits; approve is refused during Stage 1. After
     * approve, Stage 2 runs from the stored records (none recorded twice, none counted twice) and yields what the
     * ungated campaign yields: 2 SFT rows and 8 DPO pairs per instruction.
     */
    @Test
    void approvalGateHoldsStageTwoUntilApproved() {
        llm.gate = new Semaphore(0);
        WorkflowStub stub = untyped("gate");
        stub.start(json("{" + seeds(9) + GATED));
        waitFor(() -> progress(stub).inFlight() == 2);
        var early = assertThrows(WorkflowUpdateException.class, () -> stub.update(CampaignWorkflow.APPROVE, String.class));
        assertTrue(rootMessage(early).contains("approve is only valid while the campaign waits for approval before "
                + "Stage 2 (campaign setting approveBeforeStage2); it is still in Stage 1"), rootMessage(early));
        llm.gate.release(1000);

        waitFor(() -> CampaignControl.WAITING.equals(progress(stub).approval()));
        CampaignProgress waiting = progress(stub);
        assertEquals(9, waiting.done());
        assertEquals(9, waiting.kept());
        assertEquals(0, waiting.responses());
        assertNull(waiting.etaSeconds(), "no ETA while waiting for a person");
        assertEquals(0, llm.sampled.get(), "no Stage 2 call before approval");
        assertEquals(1, store.exports.get(), "Stage 1 exported for inspection");
        assertEquals(9, store.lastExport.funnel().kept());
        assertEquals(9, store.lastExport.instructionsRecorded(), "every instruction has its Stage 1 record");
        assertEquals(0, store.lastExport.responsesRecorded(), "and none its Stage 2 records yet");
        assertEquals(9, store.records.size());

        String approved = stub.update(CampaignWorkflow.APPROVE, String.class);
        assertEquals("approved: Stage 2 runs for the 9 kept instructions", approved);
        CampaignResult result = stub.getResult(CampaignResult.class);
        assertEquals(9, result.funnel().finished());
        assertEquals(9, result.funnel().kept(), "the Stage 2 wave does not count the instructions again");
        assertEquals(18, result.funnel().responses().sftRows());
        assertEquals(72, result.funnel().responses().dpoPairs());
        assertEquals(9, store.responses.size());
        assertNull(result.funnel().stopReason());
        assertEquals(2, store.exports.get());
        assertEquals(9, store.lastExport.responsesRecorded(), "after approval Stage 2 ran for all 9");
    }

    /** reject finishes the campaign with Stage 1's outputs and says so; a second reject is refused. */
    @Test
    void rejectingTheGateFinishesWithStageOneOutputs() {
        WorkflowStub stub = untyped("gate-rejected");
        stub.start(json("{" + seeds(3) + GATED));
        waitFor(() -> CampaignControl.WAITING.equals(progress(stub).approval()));
        String rejected = stub.update(CampaignWorkflow.REJECT, String.class);
        assertEquals("REJECTED_BY_OPERATOR: Stage 2 rejected after Stage 1 (3 of 3 instructions kept); the campaign "
                + "finishes with Stage 1's outputs", rejected);
        CampaignResult result = stub.getResult(CampaignResult.class);
        assertTrue(result.funnel().stopReason().startsWith("REJECTED_BY_OPERATOR"), result.funnel().stopReason());
        assertEquals(3, result.funnel().kept());
        assertEquals(0, result.funnel().responses().responses());
        assertEquals(0, llm.sampled.get());
        assertEquals(2, store.exports.get());
        assertTrue(store.lastExport.funnel().stopReason().startsWith("REJECTED_BY_OPERATOR"));
        assertEquals(0, store.lastExport.responsesRecorded(), "a rejected campaign has no Stage 2 record to export");

        var bad = assertThrows(IllegalArgumentException.class, () -> CampaignConfig.from(json("{" + seeds(1)
                + ", \"approveBeforeStage2\": true}")));
        assertTrue(bad.getMessage().contains("'approveBeforeStage2' needs 'queryFile'"), bad.getMessage());
    }

    /** Without the setting, approve and reject are refused: there is nothing to approve. */
    @Test
    void approveAndRejectAreRefusedWithoutTheGate() {
        llm.gate = new Semaphore(0);
        WorkflowStub stub = untyped("ungated");
        stub.start(json("{" + seeds(2) + ", \"verifiersPerInstruction\": 4}"));
        waitFor(() -> progress(stub).inFlight() == 2);
        var e = assertThrows(WorkflowUpdateException.class, () -> stub.update(CampaignWorkflow.REJECT, String.class));
        assertTrue(rootMessage(e).contains("it is not gated"), rootMessage(e));
        llm.gate.release(1000);
        assertNull(stub.getResult(CampaignResult.class).funnel().stopReason());
        assertNull(progress(stub).approval());
    }

    /** The paper's instruction-level pairs: the instruction as prompt, a test case all kept functions accept vs one they reject. */
    @Test
    void instructionLevelPairsComeFromTheKeptTestCases() {
        CampaignResult result = run("ilp", json("{" + seeds(1) + ", \"verifiersPerInstruction\": 4, "
                + "\"consistency\": \"none\", \"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, "
                + "\"responsesPerQuery\": 4, \"instructionLevelPairs\": true}"));
        List<PreferencePair> fromCases = store.responses.get(0).instructionLevelPairs();
        assertEquals(4, fromCases.size(), "2 accepted x 2 rejected cases");
        for (PreferencePair pair : fromCases) {
            assertEquals("instruction 0", pair.prompt());
            assertTrue(pair.chosen().startsWith("yes-") && pair.chosenPassRate() == 1.0, pair.toString());
            assertTrue(pair.rejected().startsWith("no-") && pair.rejectedPassRate() == 0.0, pair.toString());
        }
        assertEquals(8 + 4, result.funnel().responses().dpoPairs(), "response-level and instruction-level pairs");
    }

    @Test
    void aTargetStopsDrawingInstructionsAndSaysSo() {
        CampaignResult result = run("target", json("{" + seeds(10) + ", \"verifiersPerInstruction\": 4, "
                + "\"consistency\": \"none\", \"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, "
                + "\"responsesPerQuery\": 4, \"maxConcurrentInstructions\": 1, \"targetSftRows\": 3}"));
        assertEquals(2, result.funnel().finished(), "one instruction at a time: the second one reaches 4 >= 3 rows");
        assertEquals("TARGET_REACHED: 4 SFT rows for a target of 3", result.funnel().stopReason());
        assertEquals(3, store.lastExport.config().targetSftRows(), "the export cuts to exactly the target");
        assertEquals(2, store.lastExport.instructionsRecorded(), "the export reads the records of the instructions that ran");
        assertEquals(2, store.lastExport.responsesRecorded());
    }

    @Test
    void aTokenBudgetStopsDrawingInstructionsAndSaysSo() {
        CampaignResult budget = run("budget", json("{" + seeds(10) + ", \"verifiersPerInstruction\": 4, "
                + "\"consistency\": \"none\", \"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, "
                + "\"responsesPerQuery\": 4, \"maxConcurrentInstructions\": 1, \"budgetTokens\": 500}"));
        assertEquals(2, budget.funnel().finished(), "300 tokens per instruction: the second one spends the budget");
        assertEquals("BUDGET_SPENT: 600 tokens used of a budget of 500", budget.funnel().stopReason());
    }

    @Test
    void aMissedTargetIsReportedWhenInstructionsRunOut() {
        CampaignResult missed = run("missed", json("{" + seeds(2) + ", \"verifiersPerInstruction\": 4, "
                + "\"consistency\": \"none\", \"queryFile\": \"q.jsonl\", \"queriesPerInstruction\": 2, "
                + "\"responsesPerQuery\": 4, \"targetDpoPairs\": 100}"));
        assertEquals(2, missed.funnel().finished());
        assertEquals("INSTRUCTIONS_EXHAUSTED: 16 DPO pairs for a target of 100", missed.funnel().stopReason());
    }

    @Test
    void aQueryFileWithoutUsableQueriesFailsNamingWhatWasWrong() {
        var e = assertThrows(WorkflowFailedException.class, () -> run("noq", json("{" + seeds(2)
                + ", \"queryFile\": \"empty.jsonl\"}")));
        ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, e.getCause());
        assertTrue(cause.getOriginalMessage().contains("no usable query in empty.jsonl: 3 records, 1 malformed"), cause.getOriginalMessage());
        assertTrue(cause.getOriginalMessage().contains("line 2: not valid JSON"), cause.getOriginalMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> CampaignConfig.from(json("{" + seeds(1)
                + ", \"targetSftRows\": 5}")));
        assertTrue(bad.getMessage().contains("'targetSftRows' needs 'queryFile'"), bad.getMessage());
    }

    /** Three identical perfect verifiers and one that inverts every label; "unparseable" ones yield nothing. */
    static final class FakeLlm implements LlmActivities {
        final AtomicInteger calls = new AtomicInteger();
        /** Stage 2 sampling calls (S6): none may happen before an approval gate is passed. */
        final AtomicInteger sampled = new AtomicInteger();
        /** S6 activities carrying every prompt of an instruction. */
        final AtomicInteger batches = new AtomicInteger();
        /** S6 refuses for good the prompts that contain it (as an endpoint refuses a too-long prompt). */
        volatile String refusePrompt;
        final Queue<String> backTranslated = new ConcurrentLinkedQueue<>();
        final Queue<String> judged = new ConcurrentLinkedQueue<>();
        volatile ApplicationFailure failWith;
        volatile ApplicationFailure judgeFailWith;
        final Queue<ConsistencyMode> judgedKinds = new ConcurrentLinkedQueue<>();
        /** When set, each S2 call waits for a permit: a test holds instructions in flight with it. */
        volatile Semaphore gate;
        /** False plays a worker from before S2 stored its completions (mid-deploy): it returns them whole. */
        volatile boolean storesSamples = true;
        /** What S2 stored, by instruction index, as the real activity stores it in the campaign. */
        final Map<Integer, List<VerifierSample>> storedSamples = new ConcurrentHashMap<>();
        /** False plays a worker from before S6 stored its responses: it returns them whole. */
        volatile boolean storesResponses = true;
        /** What S6 stored, by {@link #key}, as the real activity stores it in the campaign. */
        final Map<String, List<ResponseSample>> storedResponses = new ConcurrentHashMap<>();

        static String key(int instructionIndex, int promptIndex) {
            return instructionIndex + "/" + promptIndex;
        }

        static List<String> texts(Map<String, List<ResponseSample>> stored, StoredResponses ref) {
            List<ResponseSample> prompt = stored.get(key(ref.at().instructionIndex(), ref.promptIndex()));
            if (prompt == null) throw new AssertionError("nothing stored for " + ref);
            return ref.samples().stream().map(i -> prompt.get(i).text()).toList();
        }

        @Override
        public VerifierCompletions generateVerifiers(VerifierRequest request) {
            calls.incrementAndGet();
            if (gate != null) gate.acquireUninterruptibly();
            if (failWith != null) throw failWith;
            List<VerifierSample> samples = new ArrayList<>();
            for (int i = 0; i < request.samples(); i++) {
                if (request.instruction().startsWith("unparseable")) {
                    samples.add(new VerifierSample(i, "stop", "INVALID_JSON: x", null, List.of(), 0, "garbage"));
                    continue;
                }
                List<TestCase> cases = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    int n = i * 3 + c;
                    cases.add(new TestCase((n % 2 == 0 ? "yes-" : "no-") + n, n % 2 == 0));
                }
                // The comment lets the fake S4 restate the instruction from the function alone, as a model would.
                String func = (i == 3 ? "def evaluate(r): return r.startswith('no')" : "def evaluate(r): return r.startswith('yes')")
                        + " # " + i + " checks: " + request.instruction();
                samples.add(new VerifierSample(i, "stop", null, func, cases, 0, "raw"));
            }
            if (!storesSamples || request.storeSamplesAt() == null) {
                return new VerifierCompletions(samples);
            }
            storedSamples.put(request.storeSamplesAt().instructionIndex(), samples);
            return new VerifierCompletions(samples.stream().map(v -> new VerifierSample(v.index(), v.finishReason(),
                    v.parseError(), v.func(), v.cases(), v.rejectedCases(), null)).toList(), List.of(), true);
        }

        @Override
        public SelfInstructCompletions selfInstruct(SelfInstructRequest request) {
            throw new UnsupportedOperationException("S1 is tested end to end with the real LLM activity");
        }

        /** Restates the instruction named in the function's comment; "untranslatable" ones get no usable answer. */
        @Override
        public BackTranslation backTranslate(BackTranslationRequest request) {
            backTranslated.add(request.func());
            String instruction = request.func().substring(request.func().indexOf(" checks: ") + " checks: ".length());
            if (instruction.startsWith("untranslatable")) {
                return new BackTranslation(List.of(), "INVALID_JSON: no list", List.of());
            }
            return new BackTranslation(List.of("restated " + instruction), null, List.of());
        }

        /** The second hypothesis of a "contradicted" instruction contradicts it; "neutral" ones are all neutral. */
        @Override
        public ConsistencyJudgements judgeConsistency(ConsistencyRequest request) {
            judgedKinds.add(request.judgeKind());
            if (judgeFailWith != null) throw judgeFailWith;
            judged.add(request.premise());
            List<NliJudgement> out = new ArrayList<>();
            for (int h = 0; h < request.hypotheses().size(); h++) {
                NliLabel label = request.premise().startsWith("contradicted") && h == 1 ? NliLabel.CONTRADICTION
                        : request.premise().startsWith("neutral") ? NliLabel.NEUTRAL : NliLabel.ENTAILMENT;
                out.add(new NliJudgement(request.hypotheses().get(h), label, null));
            }
            return new ConsistencyJudgements(out, List.of());
        }

        /** Even samples comply (start with "yes"), odd ones do not; the prompt's query is echoed for lineage. */
        @Override
        public ResponseSamples sampleResponses(ResponseRequest request) {
            calls.incrementAndGet();
            sampled.incrementAndGet();
            List<ResponseSample> out = new ArrayList<>();
            for (int i = 0; i < request.samples(); i++) {
                out.add(new ResponseSample((i % 2 == 0 ? "yes " : "no ") + i + " to " + request.prompt().hashCode(), "stop"));
            }
            return new ResponseSamples(out, List.of(new LlmUsage(Stage.S6, LlmRole.SUPERVISION, "fake", 1, 0, 0, request.samples(), 100, 50, null)));
        }

        /** Each prompt as {@link #sampleResponses} answers it; one containing {@link #refusePrompt} gets an error of its own. */
        @Override
        public ResponseBatch sampleResponseBatch(ResponseBatchRequest request) {
            batches.incrementAndGet();
            List<ResponseBatch.Item> items = new ArrayList<>();
            List<LlmUsage> usage = List.of();
            for (ResponseRequest prompt : request.prompts()) {
                if (refusePrompt != null && prompt.prompt().contains(refusePrompt)) {
                    items.add(new ResponseBatch.Item(List.of(), "the endpoint refuses this prompt [LlmBadRequest]"));
                    continue;
                }
                ResponseSamples samples = sampleResponses(prompt);
                usage = LlmUsage.merge(usage, samples.usage());
                items.add(new ResponseBatch.Item(samples.samples(), null));
            }
            SamplesDestination at = request.storeResponsesAt();
            if (!storesResponses || at == null) {
                return new ResponseBatch(items, usage);
            }
            List<ResponseBatch.Item> digests = new ArrayList<>();
            for (int p = 0; p < items.size(); p++) {
                ResponseBatch.Item item = items.get(p);
                if (item.error() == null) {
                    storedResponses.put(key(at.instructionIndex(), p),
                            item.samples().stream().map(ResponseSample::withDigest).toList());
                }
                digests.add(new ResponseBatch.Item(item.samples().stream().map(ResponseSample::withoutText).toList(),
                        item.error()));
            }
            return new ResponseBatch(digests, usage, true);
        }

        /** 9 for responses mentioning sample 0, else 7: only the first compliant sample clears a bar of 8. */
        @Override
        public JudgeVerdicts judgeResponses(JudgeRequest request) {
            calls.incrementAndGet();
            List<JudgeVerdict> out = new ArrayList<>();
            for (String r : request.responses()) {
                double score = r.startsWith("yes 0 ") ? 9 : 7;
                out.add(new JudgeVerdict(List.of(score), List.of("fine. Score: " + score), List.of()));
            }
            return new JudgeVerdicts(out, List.of());
        }

        @Override
        public JudgeVerdicts judgeStoredResponses(StoredJudgeRequest request) {
            return judgeResponses(new JudgeRequest(request.campaignId(), request.instruction(), request.query(),
                    texts(storedResponses, request.responses()), request.judge(), request.samplesPerResponse()));
        }
    }

        /** Evaluates the fake functions by their intent: "yes" functions agree with labels, "no" ones invert them. */
    static final class FakeSandbox implements SandboxActivities {
        private final AtomicInteger running = new AtomicInteger();
        private final AtomicInteger max;
        private final Map<String, List<ResponseSample>> storedResponses;

        FakeSandbox(AtomicInteger max, Map<String, List<ResponseSample>> storedResponses) {
            this.max = max;
            this.storedResponses = storedResponses;
        }

        @Override
        public EvaluationResult evaluateStoredResponses(StoredEvaluationBatch batch) {
            return evaluate(new EvaluationBatch(batch.campaignId(), batch.label(), batch.functions(),
                    FakeLlm.texts(storedResponses, batch.inputs()), batch.timeoutSeconds()));
        }

        @Override
        public EvaluationResult evaluate(EvaluationBatch batch) {
            max.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(20);
                List<FunctionEvaluation> rows = new ArrayList<>();
                for (String f : batch.functions()) {
                    boolean yes = f.contains("'yes'");
                    List<Cell> cells = new ArrayList<>();
                    for (String in : batch.inputs()) {
                        cells.add(new Cell(in.startsWith(yes ? "yes" : "no"), "bool", null, false));
                    }
                    rows.add(new FunctionEvaluation(null, cells));
                }
                return new EvaluationResult(rows);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            } finally {
                running.decrementAndGet();
            }
        }
    }

    static final class FakeStore extends PositionalCampaignStore implements ExportActivities {
        final Map<Integer, InstructionRecord> records = new ConcurrentSkipListMap<>();
        /** The record write requests as the workflows sent them. */
        final Map<Integer, RecordInstructionRequest> recordRequests = new ConcurrentSkipListMap<>();
        private final Map<Integer, List<VerifierSample>> storedSamples;
        private final Map<String, List<ResponseSample>> storedResponses;
        /** The prompt record write requests as the workflows sent them, by {@link FakeLlm#key}. */
        final Map<String, RecordPromptRequest> promptRequests = new ConcurrentHashMap<>();

        FakeStore(Map<Integer, List<VerifierSample>> storedSamples, Map<String, List<ResponseSample>> storedResponses) {
            this.storedSamples = storedSamples;
            this.storedResponses = storedResponses;
        }
        final Map<String, List<String>> instructions = new ConcurrentHashMap<>();
        final AtomicInteger exports = new AtomicInteger();

        @Override
        public PreparedCampaign prepare(PrepareCampaignRequest request) {
            List<String> distinct = request.seeds().inline().stream().distinct().toList();
            instructions.put(request.campaignId(), distinct);
            return new PreparedCampaign(request.campaignId(), distinct.size(),
                    request.seeds().inline().size() - distinct.size());
        }

        @Override
        public PreparedCampaign mergeInstructions(MergeInstructionsRequest request) {
            throw new UnsupportedOperationException("S1 is tested end to end with the real store");
        }

        @Override
        public InstructionPage readInstructions(ReadInstructionsRequest request) {
            List<String> all = instructions.get(request.outputDir());
            List<InstructionRef> page = new ArrayList<>();
            for (int i = request.offset(); i < Math.min(all.size(), request.offset() + request.limit()); i++) {
                page.add(new InstructionRef(i, "id" + i, all.get(i)));
            }
            return new InstructionPage(page);
        }

        @Override
        public InstructionRecord readInstruction(ReadInstructionRequest request) {
            InstructionRecord r = records.get(request.index());
            if (r == null || !r.instructionId().equals(request.instructionId())) {
                throw new AssertionError("instruction " + request.index() + " (" + request.instructionId()
                        + ") was never recorded");
            }
            return r;
        }

        @Override
        public void recordInstruction(RecordInstructionRequest request) {
            InstructionRecord record = request.record();
            recordRequests.put(record.index(), request);
            if (request.samplesInStore()) {
                List<VerifierSample> stored = storedSamples.get(record.index());
                if (stored == null) throw new AssertionError("instruction " + record.index() + ": no samples stored");
                record = record.withSamples(stored);
            }
            if (records.putIfAbsent(record.index(), record) != null) {
                throw new AssertionError("instruction " + record.index() + " recorded twice");
            }
        }

        final Map<Integer, ResponseStageRecord> responses = new ConcurrentSkipListMap<>();
        volatile ExportRequest lastExport;

        /** A pool of 100 queries; instruction i draws "query i-0", "query i-1", ... */
        @Override
        public QueryPool importQueries(ImportQueriesRequest request) {
            String queryFile = request.queryFile();
            return queryFile.equals("empty.jsonl")
                    ? new QueryPool(queryFile, 3, 0, 1, 0, 2, 0, 0, List.of("line 2: not valid JSON"))
                    : new QueryPool(queryFile, 100, 100, 0, 0, 0, 0, 0, List.of());
        }

        @Override
        public List<String> drawQueries(QueryDraw draw) {
            List<String> out = new ArrayList<>();
            for (int q = 0; q < draw.count(); q++) out.add("query " + draw.instructionIndex() + "-" + q);
            return out;
        }

        final Map<String, PromptRecord> prompts = new ConcurrentHashMap<>();

        @Override
        public void recordPrompt(RecordPromptRequest request) {
            PromptRecord record = request.record();
            String key = FakeLlm.key(record.instructionIndex(), record.promptIndex());
            promptRequests.put(key, request);
            if (request.responsesInStore()) {
                List<ResponseSample> stored = storedResponses.get(key);
                if (stored == null) throw new AssertionError("prompt " + key + ": no responses stored");
                record = record.withResponses(stored);
            }
            if (prompts.putIfAbsent(record.instructionIndex() + "/" + record.promptIndex(), record) != null) {
                throw new AssertionError("prompt " + record.promptIndex() + " of instruction " + record.instructionIndex()
                        + " recorded twice");
            }
        }

        @Override
        public void recordResponses(RecordResponsesRequest request) {
            ResponseStageRecord record = request.record();
            if (responses.putIfAbsent(record.index(), record) != null) {
                throw new AssertionError("responses of instruction " + record.index() + " recorded twice");
            }
        }

        @Override
        public ExportedFiles export(ExportRequest request) {
            exports.incrementAndGet();
            lastExport = request;
            return new ExportedFiles(List.of());
        }
    }
}
