package dev.autoif.workflows.instruction;

import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.CampaignStoreActivities;
import dev.autoif.workflows.activities.CaseRecord;
import dev.autoif.workflows.activities.EvaluationBatch;
import dev.autoif.workflows.activities.EvaluationResult;
import dev.autoif.workflows.activities.InstructionRecord;
import dev.autoif.workflows.activities.LlmActivities;
import dev.autoif.workflows.activities.SandboxActivities;
import dev.autoif.workflows.activities.VerifierCompletions;
import dev.autoif.workflows.activities.VerifierRecord;
import dev.autoif.workflows.activities.VerifierRequest;
import dev.autoif.workflows.activities.VerifierSample;
import dev.autoif.workflows.crossval.CrossValidation;
import dev.autoif.workflows.crossval.CrossValidationResult;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import dev.autoif.workflows.crossval.TestCase;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

public class InstructionWorkflowImpl implements InstructionWorkflow {

    private final LlmActivities llm = Workflow.newActivityStub(LlmActivities.class, ActivityOptions.newBuilder()
            .setTaskQueue(TaskQueues.LLM)
            .setStartToCloseTimeout(Duration.ofMinutes(15))
            .setRetryOptions(RetryOptions.newBuilder()
                    .setInitialInterval(Duration.ofSeconds(1))
                    .setBackoffCoefficient(2.0)
                    .setMaximumInterval(Duration.ofMinutes(2))
                    .setMaximumAttempts(20)
                    .build())
            .build());

    private final SandboxActivities sandbox = Workflow.newActivityStub(SandboxActivities.class, ActivityOptions.newBuilder()
            .setTaskQueue(TaskQueues.SANDBOX)
            .setStartToCloseTimeout(Duration.ofMinutes(15))
            .setHeartbeatTimeout(Duration.ofMinutes(1))
            .setRetryOptions(RetryOptions.newBuilder()
                    .setInitialInterval(Duration.ofSeconds(2))
                    .setMaximumInterval(Duration.ofMinutes(1))
                    .setMaximumAttempts(10)
                    .build())
            .build());

    private final CampaignStoreActivities store = Workflow.newActivityStub(CampaignStoreActivities.class, ActivityOptions.newBuilder()
            .setTaskQueue(TaskQueues.WORKFLOWS)
            .setStartToCloseTimeout(Duration.ofMinutes(2))
            .build());

    @Override
    public InstructionOutcome run(InstructionTask task) {
        stage("S2");
        VerifierCompletions completions;
        try {
            completions = llm.generateVerifiers(new VerifierRequest(
                    task.campaignId(), task.instruction(), task.supervision(), task.verifiersPerInstruction()));
        } catch (ActivityFailure e) {
            return drop(task, List.of(), DropReason.STAGE_FAILED, "S2 verifier generation failed: " + failFastOrDescribe(e));
        }
        List<VerifierSample> samples = completions.samples();

        // Distinct functions and cases, in order of first appearance (S3 step 2).
        LinkedHashSet<String> functions = new LinkedHashSet<>();
        LinkedHashSet<TestCase> cases = new LinkedHashSet<>();
        for (VerifierSample s : samples) {
            if (s.usable()) {
                functions.add(s.func());
                cases.addAll(s.cases());
            }
        }
        if (functions.isEmpty()) {
            String why = samples.stream().map(VerifierSample::parseError).distinct().collect(Collectors.joining("; "));
            return drop(task, samples, DropReason.NO_PARSEABLE_COMPLETION, why);
        }
        Map<String, Integer> inputIndex = new LinkedHashMap<>();
        for (TestCase c : cases) {
            inputIndex.putIfAbsent(c.input(), inputIndex.size());
        }

        stage("S3");
        EvaluationResult matrix;
        try {
            matrix = sandbox.evaluate(new EvaluationBatch(task.campaignId(), task.instructionId(),
                    List.copyOf(functions), List.copyOf(inputIndex.keySet()), task.evaluationTimeoutSeconds()));
        } catch (ActivityFailure e) {
            return drop(task, samples, DropReason.STAGE_FAILED, "S3 cross-validation failed: " + failFastOrDescribe(e));
        }
        List<TestCase> caseList = List.copyOf(cases);
        CrossValidationResult cv = CrossValidation.decide(task.thresholds(), matrix.rows(), inputIndex, caseList);

        List<VerifierRecord> verifiers = new ArrayList<>();
        List<String> functionList = List.copyOf(functions);
        for (int f = 0; f < functionList.size(); f++) {
            verifiers.add(new VerifierRecord(functionList.get(f), cv.accuracies().get(f),
                    cv.keptFunctions().contains(f), matrix.rows().get(f).definitionError()));
        }
        List<CaseRecord> caseRecords = new ArrayList<>();
        for (int c = 0; c < caseList.size(); c++) {
            TestCase tc = caseList.get(c);
            int agreeing = 0;
            for (FunctionEvaluation row : matrix.rows()) {
                if (row.usable() && row.cells().get(inputIndex.get(tc.input())).agreesWith(tc.label())) {
                    agreeing++;
                }
            }
            caseRecords.add(new CaseRecord(tc.input(), tc.label(), agreeing, cv.keptCases().contains(c)));
        }
        String detail = String.format("%d distinct functions (%d usable), %d distinct cases, %d cases kept, %d functions kept",
                functionList.size(), matrix.rows().stream().filter(FunctionEvaluation::usable).count(),
                caseList.size(), cv.keptCases().size(), cv.keptFunctions().size());
        InstructionRecord record = new InstructionRecord(task.index(), task.instructionId(), task.instruction(),
                task.preset(), samples, verifiers, caseRecords, List.copyOf(inputIndex.keySet()), matrix.rows(),
                cv.kept() ? null : cv.dropReason().name(), detail);
        return finish(task, record, cv.dropReason(), cv.keptFunctions().size(), cv.keptCases().size());
    }

    private InstructionOutcome drop(InstructionTask task, List<VerifierSample> samples,
                                      DropReason reason, String detail) {
        InstructionRecord record = new InstructionRecord(task.index(), task.instructionId(), task.instruction(),
                task.preset(), samples, List.of(), List.of(), List.of(), List.of(), reason.name(), detail);
        return finish(task, record, reason, 0, 0);
    }

    private InstructionOutcome finish(InstructionTask task, InstructionRecord record, DropReason reason,
                                      int functionsKept, int casesKept) {
        store.recordInstruction(task.outputDir(), record);
        Workflow.upsertTypedSearchAttributes(
                SearchAttributes.STAGE.valueSet("done"),
                SearchAttributes.OUTCOME.valueSet(reason == null ? "kept" : "dropped"),
                reason == null ? SearchAttributes.DROP_REASON.valueUnset() : SearchAttributes.DROP_REASON.valueSet(reason.name()));
        return new InstructionOutcome(task.index(), task.instructionId(), reason, record.detail(), functionsKept, casesKept);
    }

    private static void stage(String stage) {
        Workflow.upsertTypedSearchAttributes(SearchAttributes.STAGE.valueSet(stage));
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
