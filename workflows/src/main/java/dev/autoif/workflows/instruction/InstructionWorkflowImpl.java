package dev.autoif.workflows.instruction;

import dev.autoif.workflows.activities.ActivityStubs;
import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.llm.BackTranslation;
import dev.autoif.workflows.activities.store.BackTranslationRecord;
import dev.autoif.workflows.activities.llm.BackTranslationRequest;
import dev.autoif.workflows.activities.store.CaseRecord;
import dev.autoif.workflows.activities.llm.ConsistencyJudgements;
import dev.autoif.workflows.activities.llm.ConsistencyRequest;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.llm.NliJudgement;
import dev.autoif.workflows.activities.llm.NliLabel;
import dev.autoif.workflows.activities.sandbox.SandboxActivities;
import dev.autoif.workflows.activities.llm.VerifierCompletions;
import dev.autoif.workflows.activities.store.VerifierRecord;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.activities.llm.ConsistencyMode;
import dev.autoif.workflows.activities.store.CampaignStoreActivities;
import dev.autoif.workflows.activities.store.CampaignStoreCalls;
import dev.autoif.workflows.activities.store.ReadInstructionRequest;
import dev.autoif.workflows.activities.store.RecordInstructionRequest;
import dev.autoif.workflows.crossval.CrossValidationResult;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.ExternalWorkflowStub;
import io.temporal.workflow.SignalExternalWorkflowException;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

public class InstructionWorkflowImpl implements InstructionWorkflow {

    private static LlmActivities llm(InstructionTask task) {
        return ActivityStubs.llm(task.llmRetryInitialIntervalMillis());
    }

    /**
     * S5's judge. Campaigns with consistency "onnx" judge on {@link TaskQueues#NLI}, so the CPU-heavy model can run on
     * hosts of its own; histories from before that change (no "onnx-s5-queue" marker) replay on the LLM queue.
     */
    private static LlmActivities consistencyJudge(InstructionTask task) {
        if (task.consistency() == ConsistencyMode.ONNX
                && Workflow.getVersion("onnx-s5-queue", Workflow.DEFAULT_VERSION, 1) >= 1) {
            return ActivityStubs.llm(task.llmRetryInitialIntervalMillis(), TaskQueues.NLI);
        }
        return llm(task);
    }

    /** S4: how many kept functions are back-translated per instruction (the method's "up to 3"). */
    static final int MAX_BACK_TRANSLATED_FUNCTIONS = 3;

    /** What the LLM calls of this instruction cost, returned to the campaign in the outcome. */
    private List<LlmUsage> llmUsage = List.of();

    private final SandboxActivities sandbox = ActivityStubs.sandbox();

    private final CampaignStoreActivities store = ActivityStubs.instructionStore();
    private final CampaignStoreActivities localStore = ActivityStubs.instructionStoreLocal();
    private CampaignStoreCalls storeCalls;
    /** S2's activity stored the samples whole: the record leaves them to the store (see SamplesDestination). */
    private boolean samplesInStore;

    @Override
    public InstructionOutcome run(InstructionTask task) {
        storeCalls = CampaignStoreCalls.decideForInstruction(store, localStore);
        if (!task.reportsBySignal()) {
            return outcome(task);
        }
        // By signal name: the campaign's package depends on this one, not the other way round (the same command).
        ExternalWorkflowStub campaign = Workflow.newUntypedExternalWorkflowStub(task.campaignId());
        InstructionOutcome outcome;
        try {
            outcome = outcome(task);
        } catch (TemporalFailure e) { // campaign-fatal (bad endpoint, missing image): the campaign fails with it
            if (!CancellationScope.current().isCancelRequested()) { // a cancel comes from the campaign itself
                report(() -> campaign.signal(InstructionWorkflow.FAILED_SIGNAL, InstructionFailure.of(task, e)));
            }
            throw e;
        }
        report(() -> campaign.signal(InstructionWorkflow.FINISHED_SIGNAL, outcome));
        return null; // the campaign has the outcome from the signal: not carried twice through its history
    }

    /** Workflow.getVersion change ID: a report the server answers "no such campaign" is retried, then given up. */
    static final String REPORT_RETRY_CHANGE_ID = "report-retried-when-campaign-not-found";
    /** How the SDK fails a signal whose target workflow the server does not find. */
    static final String CAMPAIGN_NOT_FOUND =
            "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND";
    /** Attempts at a report the server answers "not found" (waiting 1, 2, 4, 8 s between them). */
    static final int REPORT_ATTEMPTS = 5;

    /**
     * The campaign's current run gets the report (a run that started this child may have continued as new). The
     * server may answer "not found" while the campaign is between two runs (Temporal's test server does): the report
     * is sent again a few times. A campaign that closed (cancelled, failed) has nobody left to tell: this instruction
     * then ends with a warning instead of failing. Histories from before either (no marker) failed the instruction.
     */
    private static void report(Runnable signal) {
        for (int attempt = 1; ; attempt++) {
            try {
                signal.run();
                return;
            } catch (SignalExternalWorkflowException e) {
                campaignClosed(e);
                return;
            } catch (ApplicationFailure e) {
                if (!CAMPAIGN_NOT_FOUND.equals(e.getType())
                        || Workflow.getVersion(REPORT_RETRY_CHANGE_ID, Workflow.DEFAULT_VERSION, 1) < 1) {
                    throw e;
                }
                if (attempt == REPORT_ATTEMPTS) {
                    campaignClosed(e);
                    return;
                }
                Workflow.sleep(Duration.ofSeconds(1L << (attempt - 1)));
            }
        }
    }

    private static void campaignClosed(RuntimeException e) {
        Workflow.getLogger(InstructionWorkflowImpl.class).warn("campaign closed before this instruction reported: {}",
                e.getMessage());
    }

    private InstructionOutcome outcome(InstructionTask task) {
        if (task.stage2Only()) {
            return runStage2(task);
        }
        // The campaign starts the child with stage S2 set: upserting it again would only add an event.
        VerifierCompletions completions;
        try {
            completions = llm(task).generateVerifiers(new VerifierRequest(
                    task.campaignId(), task.instruction(), task.supervision(), task.verifiersPerInstruction(),
                    LlmRole.SUPERVISION, Stage.S2, task.keepTruncated(),
                    storeCalls.samplesDestination(task.outputDir(), task.index(), task.instructionId())));
        } catch (ActivityFailure e) {
            return drop(task, List.of(), DropReason.STAGE_FAILED, "S2 verifier generation failed: " + failFastOrDescribe(e));
        }
        List<VerifierSample> samples = completions.samples();
        // Decided by the recorded result, not by a marker: a worker from before this change (mid-deploy) returns the
        // samples whole and stores nothing, and the record carries them as it always did. The commands are the same.
        samplesInStore = completions.samplesStored();
        llmUsage = LlmUsage.merge(llmUsage, completions.usage());

        VerifierPool pool = VerifierPool.of(samples);
        if (pool.functions().isEmpty()) {
            String why = samples.stream().map(VerifierSample::parseError).distinct().collect(Collectors.joining("; "));
            return drop(task, samples, DropReason.NO_PARSEABLE_COMPLETION, why);
        }

        stage(Stage.S3);
        EvaluationResult matrix;
        try {
            matrix = sandbox.evaluate(new EvaluationBatch(task.campaignId(), task.instructionId(),
                    pool.functions(), pool.inputs(), task.evaluationTimeoutSeconds()));
        } catch (ActivityFailure e) {
            return drop(task, samples, DropReason.STAGE_FAILED, "S3 cross-validation failed: " + failFastOrDescribe(e));
        }
        CrossValidationResult cv = pool.decide(task.thresholds(), matrix.rows());
        List<VerifierRecord> verifiers = pool.verifierRecords(matrix.rows(), cv);
        List<CaseRecord> caseRecords = pool.caseRecords(matrix.rows(), cv);
        String detail = String.format("%d distinct functions (%d usable), %d distinct cases, %d cases kept, %d functions kept",
                pool.functions().size(), matrix.rows().stream().filter(FunctionEvaluation::usable).count(),
                pool.cases().size(), cv.keptCases().size(), cv.keptFunctions().size());
        DropReason reason = cv.dropReason();
        List<BackTranslationRecord> backTranslations = List.of();
        if (cv.kept() && task.consistency() != ConsistencyMode.NONE) {
            try {
                backTranslations = checkConsistency(task, verifiers);
            } catch (ActivityFailure e) {
                reason = DropReason.STAGE_FAILED;
                detail = "S4/S5 consistency check failed: " + failFastOrDescribe(e);
            }
            List<String> contradicting = backTranslations.stream().flatMap(b -> b.judgements().stream())
                    .filter(j -> j.label() == NliLabel.CONTRADICTION).map(NliJudgement::hypothesis).toList();
            if (!contradicting.isEmpty()) {
                reason = DropReason.BACK_TRANSLATION_CONTRADICTION;
                detail += "; back-translation contradicts the instruction: " + String.join(" | ", contradicting);
            }
        }
        InstructionRecord record = new InstructionRecord(task.index(), task.instructionId(), task.instruction(),
                task.preset(), samples, verifiers, caseRecords, pool.inputs(), matrix.rows(),
                reason, detail, backTranslations);
        ResponseFunnel responses = ResponseFunnel.empty();
        if (reason == null && task.responseStage() != null) {
            responses = responseStage(task, record);
        }
        return finish(task, record, reason, cv.keptFunctions().size(), cv.keptCases().size(), responses);
    }

    private ResponseFunnel responseStage(InstructionTask task, InstructionRecord record) {
        ResponseStage stage2 = new ResponseStage(task, llm(task), sandbox, storeCalls, InstructionWorkflowImpl::stage,
                InstructionWorkflowImpl::failFastOrDescribe);
        ResponseFunnel responses = stage2.run(record);
        llmUsage = LlmUsage.merge(llmUsage, stage2.usage());
        return responses;
    }

    /**
     * Stage 2 after the campaign's approval gate: the instruction's Stage 1 record is already stored (and counted by
     * the campaign); a kept instruction runs S6 to D1 from it, a dropped one has nothing to do.
     */
    private InstructionOutcome runStage2(InstructionTask task) {
        InstructionRecord record = storeCalls.readInstruction(new ReadInstructionRequest(task.outputDir(), task.index(),
                task.instructionId()));
        DropReason reason = record.dropReason();
        ResponseFunnel responses = reason == null ? responseStage(task, record) : ResponseFunnel.empty();
        stage(SearchAttributes.STAGE_DONE);
        return new InstructionOutcome(task.index(), task.instructionId(), reason, record.detail(), 0, 0, llmUsage,
                responses);
    }

    /**
     * S4: back-translate the best kept functions (highest accuracy first; ties keep their order); S5: judge every
     * back-translation against the instruction. A function whose answer cannot be parsed contributes no hypothesis.
     */
    private List<BackTranslationRecord> checkConsistency(InstructionTask task, List<VerifierRecord> verifiers) {
        stage(Stage.S4);
        List<VerifierRecord> best = verifiers.stream().filter(VerifierRecord::kept)
                .sorted(Comparator.comparing(VerifierRecord::accuracy).reversed())
                .limit(MAX_BACK_TRANSLATED_FUNCTIONS).toList();
        List<BackTranslation> answers = new ArrayList<>();
        for (VerifierRecord v : best) {
            BackTranslation answer = llm(task).backTranslate(
                    new BackTranslationRequest(task.campaignId(), v.func(), task.supervision()));
            llmUsage = LlmUsage.merge(llmUsage, answer.usage());
            answers.add(answer);
        }
        List<String> hypotheses = answers.stream().flatMap(a -> a.instructions().stream()).toList();
        List<NliJudgement> judgements = List.of();
        if (!hypotheses.isEmpty()) {
            stage(Stage.S5);
            ConsistencyJudgements judged = consistencyJudge(task).judgeConsistency(new ConsistencyRequest(task.campaignId(),
                    task.consistency(), task.instruction(), hypotheses, task.judge()));
            llmUsage = LlmUsage.merge(llmUsage, judged.usage());
            judgements = judged.judgements();
        }
        List<BackTranslationRecord> records = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < best.size(); i++) {
            BackTranslation a = answers.get(i);
            int n = a.instructions().size();
            records.add(new BackTranslationRecord(best.get(i).func(), best.get(i).accuracy(), a.instructions(),
                    a.parseError(), judgements.subList(next, next + n)));
            next += n;
        }
        return records;
    }

    private InstructionOutcome drop(InstructionTask task, List<VerifierSample> samples,
                                      DropReason reason, String detail) {
        InstructionRecord record = new InstructionRecord(task.index(), task.instructionId(), task.instruction(),
                task.preset(), samples, List.of(), List.of(), List.of(), List.of(), reason, detail, List.of());
        return finish(task, record, reason, 0, 0, ResponseFunnel.empty());
    }

    private InstructionOutcome finish(InstructionTask task, InstructionRecord record, DropReason reason,
                                      int functionsKept, int casesKept, ResponseFunnel responses) {
        storeCalls.recordInstruction(samplesInStore
                ? new RecordInstructionRequest(task.outputDir(), record.withSamples(List.of()), true)
                : new RecordInstructionRequest(task.outputDir(), record));
        Workflow.upsertTypedSearchAttributes(
                SearchAttributes.STAGE.valueSet(SearchAttributes.STAGE_DONE),
                SearchAttributes.OUTCOME.valueSet(reason == null ? "kept" : "dropped"),
                reason == null ? SearchAttributes.DROP_REASON.valueUnset() : SearchAttributes.DROP_REASON.valueSet(reason.name()));
        return new InstructionOutcome(task.index(), task.instructionId(), reason, record.detail(), functionsKept, casesKept,
                llmUsage, responses);
    }

    private static void stage(Stage stage) {
        stage(stage.name());
    }

    private static void stage(String value) {
        Workflow.upsertTypedSearchAttributes(SearchAttributes.STAGE.valueSet(value));
    }

    /**
     * A wrong endpoint, key or missing image would fail every instruction the same way: fail the
     * whole campaign at once with the activity's message instead of dropping everything.
     */
    private static String failFastOrDescribe(ActivityFailure e) {
        if (e.getCause() instanceof ApplicationFailure af && FailureTypes.FATAL_FOR_CAMPAIGN.contains(af.getType())) {
            throw ApplicationFailure.newNonRetryableFailure(af.getOriginalMessage(), af.getType());
        }
        Throwable root = e.getCause() != null ? e.getCause() : e;
        return root.getMessage();
    }
}
