package dev.autoif.workflows.campaign;

import dev.autoif.workflows.ActivityStubs;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.ExportActivities;
import dev.autoif.workflows.activities.ExportRequest;
import dev.autoif.workflows.activities.ExportedFiles;
import dev.autoif.workflows.activities.InstructionRef;
import dev.autoif.workflows.activities.LlmUsage;
import dev.autoif.workflows.activities.PreparedCampaign;
import dev.autoif.workflows.activities.QueryPool;
import dev.autoif.workflows.activities.SeedSource;
import dev.autoif.workflows.activities.SelfInstructCompletions;
import dev.autoif.workflows.activities.SelfInstructRequest;
import dev.autoif.workflows.activities.store.CampaignStoreActivities;
import dev.autoif.workflows.activities.store.CampaignStoreCalls;
import dev.autoif.workflows.activities.store.ImportQueriesRequest;
import dev.autoif.workflows.activities.store.MergeInstructionsRequest;
import dev.autoif.workflows.activities.store.PrepareCampaignRequest;
import dev.autoif.workflows.activities.store.ReadInstructionsRequest;
import dev.autoif.workflows.crossval.Thresholds;
import dev.autoif.workflows.instruction.InstructionOutcome;
import dev.autoif.workflows.instruction.InstructionTask;
import dev.autoif.workflows.instruction.InstructionWorkflow;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Runs one {@link InstructionWorkflow} per instruction through a bounded window, and continues
 * as new every {@link #CHILDREN_PER_RUN} instructions so that a campaign of any size stays far
 * below Temporal's history limits.
 */
public class CampaignWorkflowImpl implements CampaignWorkflow {
    /** Instructions per run before continue-as-new: about 10 events each keeps a run far below the limits. */
    public static final int CHILDREN_PER_RUN = 1000;
    static final int PAGE_SIZE = 100;
    /** Workflow.getVersion change ID of the approval gate before Stage 2 (README, "For contributors"). */
    static final String APPROVAL_GATE_CHANGE = "approval-gate-before-stage2";
    private static final int SUMMARY_CHARS = 200;

    private final CampaignStoreActivities store = ActivityStubs.campaignStore();
    private final ExportActivities exporter = ActivityStubs.exporter();
    private CampaignStoreCalls storeCalls;

    private final int childrenPerRun;
    private Funnel funnel = Funnel.start(0);
    /** Live control; null until run() has read its checkpoint (updates are only accepted after that). */
    private CampaignControl control;
    private CampaignConfig config;
    /** S3 rules every instruction of this campaign gets: resolved once, at the start, like the config. */
    private Thresholds thresholds;
    private final List<Promise<InstructionOutcome>> inFlight = new ArrayList<>();

    /** Tests use a small run length to exercise continue-as-new. */
    public CampaignWorkflowImpl(int childrenPerRun) {
        this.childrenPerRun = childrenPerRun;
    }

    @Override
    public CampaignResult run(CampaignInput input) {
        storeCalls = CampaignStoreCalls.decide(store);
        CampaignCheckpoint checkpoint = input.resume();
        if (checkpoint != null && Workflow.getInfo().getContinuedExecutionRunId().isEmpty()) {
            throw ApplicationFailure.newNonRetryableFailure("invalid campaign input: 'resume' is set by the campaign "
                    + "itself when it continues as new; remove it from the campaign JSON", FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        try {
            config = frozenConfig(input, checkpoint);
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure("invalid campaign input: " + e.getMessage(),
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        String campaignId = Workflow.getInfo().getWorkflowId();

        if (checkpoint == null) {
            PreparedCampaign prepared = storeCalls.prepare(new PrepareCampaignRequest(campaignId,
                    new SeedSource(config.seedInstructions(), config.seedFile()), config.outputDir()));
            List<LlmUsage> selfInstructUsage = List.of();
            if (config.selfInstructCalls() > 0) {
                // S1: new instructions from the seeds, merged with them before any instruction workflow starts.
                List<String> seeds = instructionTexts(prepared);
                SelfInstructCompletions generated = ActivityStubs.llm(config.llmRetryInitialIntervalMillis())
                        .selfInstruct(new SelfInstructRequest(campaignId, seeds, config.supervision(), config.selfInstructCalls()));
                selfInstructUsage = generated.usage();
                prepared = storeCalls.mergeInstructions(new MergeInstructionsRequest(prepared.outputDir(), seeds,
                        generated.instructions(), config.nearDuplicateThreshold()));
            }
            QueryPool queries = null;
            if (config.hasQueries()) {
                queries = storeCalls.importQueries(new ImportQueriesRequest(prepared.outputDir(), config.queryFile(),
                        config.queryMinChars(), config.queryMaxChars()));
                if (queries.queries() == 0) {
                    throw ApplicationFailure.newNonRetryableFailure(String.format("no usable query in %s: %d records, "
                            + "%d malformed, %d without a user turn, %d too short, %d too long (window %d < length < %d)%s",
                            config.queryFile(), queries.records(), queries.malformed(), queries.noUserTurn(),
                            queries.tooShort(), queries.tooLong(), config.queryMinChars(), config.queryMaxChars(),
                            queries.errors().isEmpty() ? "" : "; first problems: " + String.join("; ", queries.errors())),
                            FailureTypes.INVALID_CAMPAIGN_INPUT);
                }
            }
            checkpoint = new CampaignCheckpoint(prepared.outputDir(), prepared.instructionCount(), 0,
                    Funnel.start(prepared.instructionCount()).withUsage(selfInstructUsage, config.prices()), queries,
                    CampaignControl.startedAt(Workflow.currentTimeMillis()), config, config.preset().crossValidation());
        }
        funnel = checkpoint.funnel();
        CampaignMetrics.publish(campaignId, funnel);
        // Checkpoints written before the thresholds were frozen carry none: the preset's, as those runs did.
        thresholds = checkpoint.thresholds() != null ? checkpoint.thresholds() : config.preset().crossValidation();
        // Checkpoints written before live control existed carry none: the campaign's elapsed time starts here.
        control = checkpoint.control() != null ? checkpoint.control() : CampaignControl.startedAt(Workflow.currentTimeMillis());
        String outputDir = checkpoint.outputDir();
        int count = checkpoint.instructionCount();
        int next = checkpoint.nextIndex();
        int stopAt = Math.min(count, next + childrenPerRun);

        // With the approval gate the instructions run twice: Stage 1 alone (S1 to S5), then, once approved, Stage 2
        // alone from the stored records. Only campaigns asking for the gate reach the marker: the command sequence of
        // every other campaign (and of the recorded histories) is unchanged.
        boolean gated = config.approveBeforeStage2()
                && Workflow.getVersion(APPROVAL_GATE_CHANGE, Workflow.DEFAULT_VERSION, 1) == 1;
        boolean stage2Wave = gated && CampaignControl.APPROVED.equals(control.approval());
        Iterator<InstructionRef> page = List.<InstructionRef>of().iterator();
        while ((next < stopAt && funnel.stopReason() == null) || !inFlight.isEmpty()) {
            while (inFlight.size() < control.window(config) && next < stopAt && !control.paused()
                    && !drawingStopped(config)) {
                if (!page.hasNext()) {
                    page = storeCalls.readInstructions(new ReadInstructionsRequest(outputDir, next,
                            Math.min(PAGE_SIZE, stopAt - next))).iterator();
                }
                inFlight.add(startChild(campaignId, outputDir, config, page.next(), gated, stage2Wave));
                next++;
            }
            if (inFlight.isEmpty() && !control.paused()) {
                continue; // a target, budget or stopDrawing stopped the drawing: nothing left to wait for
            }
            boolean more = next < stopAt;
            // Wakes when a child finishes, when an update lets more start (resume, a wider window), or when
            // stopDrawing ends a pause with nothing in flight.
            Workflow.await(() -> inFlight.stream().anyMatch(Promise::isCompleted)
                    || (more && funnel.stopReason() == null && !control.paused() && inFlight.size() < control.window(this.config))
                    || (inFlight.isEmpty() && funnel.stopReason() != null));
            for (Iterator<Promise<InstructionOutcome>> it = inFlight.iterator(); it.hasNext(); ) {
                Promise<InstructionOutcome> p = it.next();
                if (p.isCompleted()) {
                    it.remove();
                    // A child fails only for campaign-fatal causes (bad endpoint, missing image): fail loudly.
                    InstructionOutcome outcome = p.get();
                    if (!stage2Wave) { // the Stage 1 wave counted the instruction already
                        funnel = outcome.kept() ? funnel.withKept() : funnel.withDropped(outcome.dropReason());
                    }
                    funnel = funnel.withUsage(outcome.llmUsage(), config.prices()).withResponses(outcome.responses());
                }
            }
            CampaignMetrics.publish(campaignId, funnel);
        }
        if (next < count && funnel.stopReason() == null) {
            CampaignInput continued = input.resumedAt(new CampaignCheckpoint(outputDir, count, next, funnel,
                    checkpoint.queryPool(), control, config, thresholds));
            Workflow.continueAsNew(continued);
        }
        if (gated && !stage2Wave && funnel.stopReason() == null) {
            awaitApproval(campaignId, outputDir);
            if (CampaignControl.APPROVED.equals(control.approval())) {
                // Stage 2 starts over at the first instruction in a fresh run: its history is Stage 2's alone.
                Workflow.continueAsNew(input.resumedAt(new CampaignCheckpoint(outputDir, count, 0, funnel,
                        checkpoint.queryPool(), control, config, thresholds)));
            }
        }
        if (funnel.stopReason() == null && missedTarget(config) != null) {
            funnel = funnel.stoppedBecause(missedTarget(config));
        }
        // Every instruction before `next` finished: its records are stored. Stage 2 ran for them unless this is the
        // Stage 1 wave of a gated campaign (rejected), whose Stage 2 never ran.
        int instructionsRecorded = stage2Wave ? count : next;
        int responsesRecorded = gated && !stage2Wave ? 0 : next;
        ExportedFiles files = exporter.export(new ExportRequest(outputDir, campaignId, funnel, config,
                instructionsRecorded, responsesRecorded));
        return new CampaignResult(campaignId, config.preset().wireName(), outputDir, funnel, files.files(),
                checkpoint.queryPool());
    }

    /**
     * The approval gate: Stage 1's outputs are exported for the operator to read (verifiers.jsonl, funnel.json), and
     * the campaign waits, paying for no Stage 2 call, until {@code approve} or {@code reject} (or {@code stopDrawing},
     * which rejects too).
     */
    private void awaitApproval(String campaignId, String outputDir) {
        // Stage 1 ran for every instruction (the gate is reached only without a stop); Stage 2 for none yet.
        exporter.export(new ExportRequest(outputDir, campaignId, funnel, config, funnel.instructions(), 0));
        control = control.withApproval(CampaignControl.WAITING);
        CampaignMetrics.publish(campaignId, funnel);
        Workflow.await(() -> !control.waitingForApproval() || funnel.stopReason() != null);
        if (control.waitingForApproval()) {
            control = control.withApproval(CampaignControl.REJECTED);
        }
    }

    /**
     * The settings of the whole campaign, resolved once at its start and carried by continue-as-new: a deploy that
     * changes a default does not change a campaign halfway. Checkpoints written before this existed carry none, and
     * their runs resolve the input again, as they always did.
     */
    static CampaignConfig frozenConfig(CampaignInput input, CampaignCheckpoint checkpoint) {
        return checkpoint != null && checkpoint.config() != null ? checkpoint.config() : CampaignConfig.from(input);
    }

    /**
     * Target size and budget: once the SFT rows (or DPO pairs) asked for exist, or the token or dollar budget is
     * spent, no new instruction starts; the ones in flight finish, and the export cuts to the target exactly.
     */
    private boolean drawingStopped(CampaignConfig config) {
        if (funnel.stopReason() != null) {
            return true;
        }
        ResponseFunnel r = funnel.responses();
        String why = null;
        if (config.targetSftRows() != null && r.sftRows() >= config.targetSftRows()) {
            why = "TARGET_REACHED: " + r.sftRows() + " SFT rows for a target of " + config.targetSftRows();
        } else if (config.targetDpoPairs() != null && r.dpoPairs() >= config.targetDpoPairs()) {
            why = "TARGET_REACHED: " + r.dpoPairs() + " DPO pairs for a target of " + config.targetDpoPairs();
        } else if (config.budgetTokens() != null && funnel.totalTokens() >= config.budgetTokens()) {
            why = "BUDGET_SPENT: " + funnel.totalTokens() + " tokens used of a budget of " + config.budgetTokens();
        } else if (config.budgetUsd() != null && funnel.llmCostUsd() != null && funnel.llmCostUsd() >= config.budgetUsd()) {
            why = String.format("BUDGET_SPENT: $%.4f spent of a budget of $%.4f", funnel.llmCostUsd(), config.budgetUsd());
        }
        if (why != null) {
            funnel = funnel.stoppedBecause(why);
        }
        return why != null;
    }

    /** Every instruction was used and a target is still short: say so rather than pretend. */
    private String missedTarget(CampaignConfig config) {
        ResponseFunnel r = funnel.responses();
        if (config.targetSftRows() != null && r.sftRows() < config.targetSftRows()) {
            return "INSTRUCTIONS_EXHAUSTED: " + r.sftRows() + " SFT rows for a target of " + config.targetSftRows();
        }
        if (config.targetDpoPairs() != null && r.dpoPairs() < config.targetDpoPairs()) {
            return "INSTRUCTIONS_EXHAUSTED: " + r.dpoPairs() + " DPO pairs for a target of " + config.targetDpoPairs();
        }
        return null;
    }

    private List<String> instructionTexts(PreparedCampaign prepared) {
        List<String> texts = new ArrayList<>();
        while (texts.size() < prepared.instructionCount()) {
            storeCalls.readInstructions(new ReadInstructionsRequest(prepared.outputDir(), texts.size(), PAGE_SIZE))
                    .forEach(ref -> texts.add(ref.text()));
        }
        return texts;
    }

    /**
     * @param gated      the campaign has the approval gate: Stage 1 and Stage 2 run in separate children
     * @param stage2Wave the gate was passed: the child runs Stage 2 alone
     */
    private Promise<InstructionOutcome> startChild(String campaignId, String outputDir, CampaignConfig config,
                                                   InstructionRef ref, boolean gated, boolean stage2Wave) {
        String text = ref.text();
        InstructionWorkflow child = Workflow.newChildWorkflowStub(InstructionWorkflow.class, ChildWorkflowOptions.newBuilder()
                .setWorkflowId(stage2Wave ? InstructionWorkflow.stage2WorkflowId(campaignId, ref.id())
                        : InstructionWorkflow.workflowId(campaignId, ref.id()))
                .setTaskQueue(TaskQueues.WORKFLOWS)
                .setStaticSummary(text.length() > SUMMARY_CHARS ? text.substring(0, SUMMARY_CHARS) + "…" : text)
                .setTypedSearchAttributes(io.temporal.common.SearchAttributes.newBuilder()
                        .set(SearchAttributes.CAMPAIGN, campaignId)
                        .set(SearchAttributes.STAGE, stage2Wave ? "S6-S8" : "S2")
                        .build())
                .build());
        InstructionTask task = new InstructionTask(campaignId, outputDir, ref.index(), ref.id(), text,
                config.supervision(), config.verifiersPerInstruction(), config.preset().wireName(),
                thresholds, config.evaluationTimeoutSeconds(), config.keepTruncated(),
                config.llmRetryInitialIntervalMillis(), config.consistency(), config.consistencyJudge(),
                gated && !stage2Wave ? null : config.responseStage(), stage2Wave);
        return Async.function(child::run, task);
    }

    @Override
    public Funnel funnel() {
        return funnel;
    }

    @Override
    public CampaignProgress progress() {
        CampaignControl c = control != null ? control : CampaignControl.startedAt(Workflow.currentTimeMillis());
        return CampaignProgress.of(funnel, inFlight.size(), c, config == null ? 0 : c.window(config),
                Workflow.currentTimeMillis());
    }

    @Override
    public String pause() {
        awaitStarted();
        control = control.withPaused(true);
        return "paused: no new instruction starts; " + inFlight.size() + " in flight finish";
    }

    @Override
    public String resume() {
        awaitStarted();
        control = control.withPaused(false);
        return "running: up to " + control.window(config) + " instructions at once";
    }

    @Override
    public void validateMaxConcurrentInstructions(int n) {
        if (n < 1 || n > CampaignConfig.MAX_CONCURRENT_INSTRUCTIONS) {
            throw new IllegalArgumentException("maxConcurrentInstructions must be between 1 and "
                    + CampaignConfig.MAX_CONCURRENT_INSTRUCTIONS + ", got " + n);
        }
    }

    @Override
    public String setMaxConcurrentInstructions(int n) {
        awaitStarted();
        control = control.withWindow(n);
        return "maxConcurrentInstructions " + n + " (" + inFlight.size() + " in flight)";
    }

    @Override
    public void validateStopDrawing() {
        if (funnel.stopReason() != null) {
            throw new IllegalStateException("the campaign already stopped drawing: " + funnel.stopReason());
        }
    }

    @Override
    public String stopDrawing() {
        awaitStarted();
        funnel = funnel.stoppedBecause("STOPPED_BY_OPERATOR: stopDrawing after " + funnel.finished() + " of "
                + funnel.instructions() + " instructions finished, " + inFlight.size() + " in flight");
        return funnel.stopReason() + "; they finish, then the campaign exports";
    }

    @Override
    public void validateApprove() {
        requireWaitingForApproval("approve");
    }

    @Override
    public String approve() {
        control = control.withApproval(CampaignControl.APPROVED);
        return "approved: Stage 2 runs for the " + funnel.kept() + " kept instructions";
    }

    @Override
    public void validateReject() {
        requireWaitingForApproval("reject");
    }

    @Override
    public String reject() {
        funnel = funnel.stoppedBecause("REJECTED_BY_OPERATOR: Stage 2 rejected after Stage 1 (" + funnel.kept()
                + " of " + funnel.instructions() + " instructions kept)");
        control = control.withApproval(CampaignControl.REJECTED);
        return funnel.stopReason() + "; the campaign finishes with Stage 1's outputs";
    }

    private void requireWaitingForApproval(String update) {
        if (control == null || !control.waitingForApproval() || funnel.stopReason() != null) {
            throw new IllegalStateException(update + " is only valid while the campaign waits for approval before "
                    + "Stage 2 (campaign setting approveBeforeStage2); it is "
                    + (control == null ? "starting" : control.approval() != null ? control.approval().toLowerCase()
                    : config != null && config.approveBeforeStage2() ? "still in Stage 1" : "not gated"));
        }
    }

    /** An update that arrives before run() has read its input waits for it (run() sets the state it changes). */
    private void awaitStarted() {
        Workflow.await(() -> control != null);
    }
}
