package dev.autoif.workflows.dpo;

import dev.autoif.workflows.activities.ActivityStubs;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.activities.dpostore.DpoRoundResult;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.activities.dpostore.DpoPairsFile;
import dev.autoif.workflows.activities.dpostore.DpoPrompt;
import dev.autoif.workflows.activities.dpostore.DpoPromptPage;
import dev.autoif.workflows.activities.dpostore.AssembleDpoPairsRequest;
import dev.autoif.workflows.activities.dpostore.DpoStoreActivities;
import dev.autoif.workflows.activities.dpostore.DpoStoreCalls;
import dev.autoif.workflows.activities.dpostore.ReadDpoPromptsRequest;
import dev.autoif.workflows.activities.dpostore.ReadDpoRoundRequest;
import dev.autoif.workflows.activities.dpostore.RecordDpoRoundRequest;
import dev.autoif.workflows.activities.dpostore.WriteDpoPairsPageRequest;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.llm.ResponseRequest;
import dev.autoif.workflows.activities.llm.ResponseSample;
import dev.autoif.workflows.activities.llm.ResponseSamples;
import dev.autoif.workflows.activities.sandbox.SandboxActivities;
import dev.autoif.workflows.activities.training.TrainingActivities;
import dev.autoif.workflows.activities.training.TrainingRequest;
import dev.autoif.workflows.activities.training.TrainingResult;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.dataset.DpoPairs;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.ScoredResponse;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowSemaphore;
import java.util.ArrayList;
import java.util.List;

/**
 * One online DPO round. Prompts are read a page at a time; each prompt (at most {@code maxConcurrentPrompts} at once)
 * is answered K times by the round's policy (role "policy", stage "D1"), the answers are scored by the prompt's
 * functions in the sandbox, and {@link DpoPairs} draws at most 4 pairs from them. Each page's pairs go to a page file
 * and only counts stay in the workflow; after {@code pagesPerRun} pages the run continues as new, so history stays
 * bounded however large prompts.jsonl is. Then the pages are assembled into dpo_pairs.jsonl, the training command
 * runs, and round.json records the round. A round whose round.json exists is returned as recorded.
 */
public class OnlineDpoRoundWorkflowImpl implements OnlineDpoRoundWorkflow {
    /** Pages per run before continue-as-new: 10 pages of 20 prompts keep a run near 2,500 events. */
    public static final int PAGES_PER_RUN = 10;
    static final int MAX_FAILURE_EXAMPLES = 5;

    private final int pagesPerRun;
    private DpoRoundProgress progress = new DpoRoundProgress(0, "starting", 0, 0);

    private final DpoStoreActivities store = ActivityStubs.dpoStore();
    private DpoStoreCalls storeCalls;

    public OnlineDpoRoundWorkflowImpl(int pagesPerRun) {
        this.pagesPerRun = Math.max(1, pagesPerRun);
    }

    /** What one prompt contributed. */
    private record PromptOutcome(List<PreferencePair> pairs, int responses, int truncated, String failure,
                                 List<LlmUsage> usage) {}

    @Override
    public DpoRoundResult run(DpoRoundTask task) {
        storeCalls = DpoStoreCalls.decide(store);
        DpoRoundCursor c = task.cursor();
        if (c == null) {
            DpoRoundResult recorded = storeCalls.readRound(new ReadDpoRoundRequest(task.roundDir()));
            if (recorded != null) {
                report(new DpoRoundProgress(task.round(), "done", recorded.prompts(), recorded.pairs()));
                return recorded;
            }
            c = DpoRoundCursor.start();
        }
        progress = new DpoRoundProgress(task.round(), "sampling", c.prompts(), c.pairs());
        LlmActivities llm = ActivityStubs.llm(task.llmRetryInitialIntervalMillis());
        SandboxActivities sandbox = ActivityStubs.sandbox();
        WorkflowSemaphore window = Workflow.newWorkflowSemaphore(task.maxConcurrentPrompts());
        int pagesThisRun = 0;
        while (!c.eof()) {
            if (pagesThisRun == pagesPerRun) {
                Workflow.continueAsNew(task.at(c));
            }
            DpoPromptPage page = storeCalls.readPrompts(new ReadDpoPromptsRequest(task.campaignDir(), c.byteOffset(), c.line(),
                    task.promptsPerPage()));
            List<Promise<PromptOutcome>> outcomes = new ArrayList<>();
            for (DpoPrompt prompt : page.prompts()) {
                window.acquire();
                outcomes.add(Async.function(() -> {
                    try {
                        return score(task, llm, sandbox, prompt);
                    } finally {
                        window.release();
                    }
                }));
            }
            List<PreferencePair> pagePairs = new ArrayList<>();
            long failed = c.promptsFailed(), responses = c.responses(), truncated = c.truncatedResponses();
            long withPairs = c.promptsWithPairs();
            List<String> failures = new ArrayList<>(c.failures());
            List<LlmUsage> usage = c.llmUsage();
            for (Promise<PromptOutcome> promise : outcomes) {
                PromptOutcome o = promise.get();
                pagePairs.addAll(o.pairs());
                responses += o.responses();
                truncated += o.truncated();
                withPairs += o.pairs().isEmpty() ? 0 : 1;
                usage = LlmUsage.merge(usage, o.usage());
                if (o.failure() != null) {
                    failed++;
                    if (failures.size() < MAX_FAILURE_EXAMPLES) {
                        failures.add(o.failure());
                    }
                }
            }
            // An empty page (only blank lines were left) adds no file, except as page 0 of an empty round.
            boolean wrote = !page.prompts().isEmpty() || c.pages() == 0;
            if (wrote) {
                storeCalls.writePairsPage(new WriteDpoPairsPageRequest(task.roundDir(), c.pages(), pagePairs));
            }
            c = new DpoRoundCursor(page.nextByteOffset(), page.nextLine(), page.eof(), c.pages() + (wrote ? 1 : 0),
                    c.prompts() + page.prompts().size(), failed, responses, truncated, withPairs,
                    c.pairs() + pagePairs.size(), List.copyOf(failures), usage);
            pagesThisRun++;
            report(new DpoRoundProgress(task.round(), "sampling", c.prompts(), c.pairs()));
        }
        if (c.prompts() == 0) {
            throw ApplicationFailure.newNonRetryableFailure(task.campaignDir() + "/prompts.jsonl holds no prompts",
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        if (c.pairs() == 0) {
            throw ApplicationFailure.newNonRetryableFailure(String.format("round %d produced no DPO pair from %d prompts "
                            + "(%d responses scored, %d truncated, %d prompts failed%s): no prompt had both a response "
                            + "with pass rate >= %.1f and one with pass rate 0", task.round(), c.prompts(), c.responses(),
                    c.truncatedResponses(), c.promptsFailed(), c.failures().isEmpty() ? "" : ", e.g. " + c.failures().get(0),
                    DpoPairs.CHOSEN_MIN_PASS_RATE), FailureTypes.NO_DPO_PAIRS);
        }
        DpoPairsFile pairsFile = storeCalls.assemblePairs(new AssembleDpoPairsRequest(task.roundDir(), c.pages()));

        progress = new DpoRoundProgress(task.round(), "training", c.prompts(), c.pairs());
        report(progress);
        TrainingResult trained = train(task, pairsFile);

        DpoRoundResult result = new DpoRoundResult(task.round(), task.policy().baseUrl(), task.policy().model(),
                c.prompts(), c.promptsFailed(), c.responses(), c.truncatedResponses(), c.promptsWithPairs(),
                pairsFile.pairs(), pairsFile.path(), trained.checkpoint(), trained.exitCode(), trained.logFile(),
                trained.seconds(), trained.reused(), c.failures(), c.llmUsage(), task.previousCheckpoint());
        storeCalls.recordRound(new RecordDpoRoundRequest(task.roundDir(), result));
        progress = new DpoRoundProgress(task.round(), "done", c.prompts(), c.pairs());
        report(progress);
        return result;
    }

    private TrainingResult train(DpoRoundTask task, DpoPairsFile pairsFile) {
        TrainingCommand t = task.training();
        TrainingActivities training = ActivityStubs.training(t.timeoutMinutes());
        try {
            return training.train(new TrainingRequest(task.round(), task.runId(), t.command(), t.env(),
                    t.timeoutMinutes(), t.workingDir(), task.roundDir(), pairsFile.path(), task.roundDir() + "/checkpoint",
                    task.previousCheckpoint(), task.policy().model()));
        } catch (ActivityFailure e) {
            if (e.getCause() instanceof CanceledFailure) {
                throw e;
            }
            if (e.getCause() instanceof ApplicationFailure af) {
                throw ApplicationFailure.newNonRetryableFailure("training failed: " + af.getOriginalMessage(), af.getType());
            }
            throw ApplicationFailure.newNonRetryableFailure("training failed: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), FailureTypes.TRAINING_FAILED);
        }
    }

    private PromptOutcome score(DpoRoundTask task, LlmActivities llm, SandboxActivities sandbox, DpoPrompt prompt) {
        ResponseSamples sampled;
        try {
            sampled = llm.sampleResponses(new ResponseRequest(task.runId(), prompt.prompt(), task.policy(),
                    task.samplesPerPrompt(), LlmRole.POLICY, Stage.D1));
        } catch (ActivityFailure e) {
            return new PromptOutcome(List.of(), 0, 0, prompt.instructionId() + ": sampling failed: " + failFastOrDescribe(e),
                    List.of());
        }
        // A response cut off by maxTokens is neither a fair "chosen" nor a fair "rejected".
        List<String> texts = sampled.samples().stream().filter(s -> s.text() != null && !s.truncated())
                .map(ResponseSample::text).toList();
        int truncated = sampled.samples().size() - texts.size();
        if (texts.isEmpty()) {
            return new PromptOutcome(List.of(), 0, truncated, null, sampled.usage());
        }
        EvaluationResult matrix;
        try {
            matrix = sandbox.evaluate(new EvaluationBatch(task.runId(), "dpo-round-" + task.round() + "/"
                    + prompt.instructionId(), prompt.functions(), texts, task.evaluationTimeoutSeconds()));
        } catch (ActivityFailure e) {
            return new PromptOutcome(List.of(), 0, truncated,
                    prompt.instructionId() + ": scoring failed: " + failFastOrDescribe(e), sampled.usage());
        }
        double[] rates = DpoScoring.passRates(matrix.rows(), texts.size());
        List<ScoredResponse> scored = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            scored.add(new ScoredResponse(texts.get(i), rates[i]));
        }
        List<PreferencePair> pairs = DpoPairs.build(prompt.instructionId(), prompt.prompt(), scored,
                PreferencePair.RESPONSE_LEVEL, task.pairSeed());
        return new PromptOutcome(pairs, texts.size(), truncated, null, sampled.usage());
    }

    /** A wrong endpoint, key or missing image fails every prompt the same way: stop the round with its message. */
    private static String failFastOrDescribe(ActivityFailure e) {
        if (e.getCause() instanceof ApplicationFailure af && FailureTypes.FATAL_FOR_CAMPAIGN.contains(af.getType())) {
            throw ApplicationFailure.newNonRetryableFailure(af.getOriginalMessage(), af.getType());
        }
        if (e.getCause() instanceof CanceledFailure) {
            throw e;
        }
        Throwable root = e.getCause() != null ? e.getCause() : e;
        return root.getMessage();
    }

    /** Tells the parent (if any) how far the round is; a parent that is gone does not stop the round. */
    private void report(DpoRoundProgress p) {
        progress = p;
        String parent = Workflow.getInfo().getParentWorkflowId().orElse(null);
        if (parent == null) {
            return;
        }
        try {
            Workflow.newExternalWorkflowStub(OnlineDpoWorkflow.class, parent).roundProgress(p);
        } catch (CanceledFailure e) {
            throw e;
        } catch (RuntimeException e) {
            Workflow.getLogger(OnlineDpoRoundWorkflowImpl.class).warn("cannot report progress to {}: {}", parent,
                    e.getMessage());
        }
    }

    @Override
    public DpoRoundProgress progress() {
        return progress;
    }
}
