package dev.autoif.workflows.campaign;

import dev.autoif.workflows.activities.ActivityStubs;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.store.InstructionRef;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.store.PreparedCampaign;
import dev.autoif.workflows.activities.store.QueryPool;
import dev.autoif.workflows.activities.store.SeedSource;
import dev.autoif.workflows.activities.llm.SelfInstructCompletions;
import dev.autoif.workflows.activities.llm.SelfInstructRequest;
import dev.autoif.workflows.activities.store.CampaignStoreActivities;
import dev.autoif.workflows.activities.store.CampaignStoreCalls;
import dev.autoif.workflows.activities.store.ImportQueriesRequest;
import dev.autoif.workflows.activities.store.MergeInstructionsRequest;
import dev.autoif.workflows.activities.store.PrepareCampaignRequest;
import dev.autoif.workflows.activities.store.ReadInstructionsRequest;
import dev.autoif.workflows.crossval.Thresholds;
import dev.autoif.workflows.instruction.InstructionFailure;
import dev.autoif.workflows.instruction.InstructionOutcome;
import dev.autoif.workflows.instruction.InstructionTask;
import dev.autoif.workflows.instruction.InstructionWorkflow;
import dev.autoif.workflows.instruction.ResponseFunnel;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowCancellationType;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Runs one {@link InstructionWorkflow} per instruction through a bounded window, and continues as new whenever a
 * run's history grows large, without draining the window: children start abandoned and report their outcome by signal
 * to whichever run is current, and the instructions in flight travel in the checkpoint. (Campaigns from before
 * {@link #NO_DRAIN_CHANGE} drained the window every {@link #CHILDREN_PER_RUN} instructions instead.)
 */
public class CampaignWorkflowImpl implements CampaignWorkflow {
    /** Before {@link #NO_DRAIN_CHANGE}: instructions per run before draining and continuing as new. */
    public static final int CHILDREN_PER_RUN = 1000;
    /** Workflow.getVersion change ID: continue-as-new without draining the window (README, "For contributors"). */
    static final String NO_DRAIN_CHANGE = "continue-as-new-without-drain";
    /**
     * History events per run before continue-as-new. Temporal warns at 10,240 and stops a run at 51,200; a run may
     * overshoot by the children it is still starting and the reports arriving meanwhile (at most about twice
     * {@link #PENDING_CHILDREN_PER_RUN}), so 4,000 stays below the warning.
     */
    public static final int EVENTS_PER_RUN = 4_000;
    /** History bytes per run before continue-as-new: Temporal warns at 10 MB and stops a run at 50 MB. */
    static final long HISTORY_BYTES_PER_RUN = 8L << 20;
    /** Children a run starts that still run, at most: half Temporal's 2,000 pending children per run. */
    public static final int PENDING_CHILDREN_PER_RUN = 1_000;
    /** Cancel requests in flight at once when a cancelled campaign stops its children (Temporal allows 2,000). */
    private static final int CANCEL_BATCH = 500;
    private static final Duration CANCEL_REQUEST_WAIT = Duration.ofMinutes(1);
    static final int PAGE_SIZE = 100;
    /** Workflow.getVersion change ID of the approval gate before Stage 2 (README, "For contributors"). */
    static final String APPROVAL_GATE_CHANGE = "approval-gate-before-stage2";
    private static final int SUMMARY_CHARS = 200;

    private final CampaignStoreActivities store = ActivityStubs.campaignStore();
    private final ExportActivities exporter = Workflow.newActivityStub(ExportActivities.class, ActivityStubs.EXPORT);
    private CampaignStoreCalls storeCalls;

    private final int childrenPerRun;
    private final int eventsPerRun;
    private Funnel funnel = Funnel.start(0);
    /** Live control; null until run() has read its checkpoint (updates are only accepted after that). */
    private CampaignControl control;
    private CampaignConfig config;
    /** S3 rules every instruction of this campaign gets: resolved once, at the start, like the config. */
    private Thresholds thresholds;
    /** Before {@link #NO_DRAIN_CHANGE}: the children of this run, drained before continue-as-new. */
    private final List<Promise<InstructionOutcome>> inFlight = new ArrayList<>();
    /** Instructions started and not yet counted (index to instruction ID), across runs: their children report by signal. */
    private final SortedMap<Integer, String> reporting = new TreeMap<>();
    /** Children this run started: a run keeps fewer than {@link #PENDING_CHILDREN_PER_RUN} running. */
    private final Map<Integer, Promise<InstructionOutcome>> startedHere = new HashMap<>();
    private final List<Promise<WorkflowExecution>> starting = new ArrayList<>();
    /** Outcomes signalled and not yet counted (a signal can arrive before run() has read its checkpoint). */
    private final List<InstructionOutcome> reported = new ArrayList<>();
    private InstructionFailure failure;

    /** Tests and benchmarks use small runs to exercise continue-as-new. */
    public CampaignWorkflowImpl(int childrenPerRun, int eventsPerRun) {
        this.childrenPerRun = childrenPerRun;
        this.eventsPerRun = eventsPerRun;
    }

    @Override
    public CampaignResult run(CampaignInput userInput, CampaignCheckpoint resumeFrom) {
        storeCalls = CampaignStoreCalls.decide(store);
        boolean continued = !Workflow.getInfo().getContinuedExecutionRunId().isEmpty();
        if (!continued && userInput.legacyResume() != null) {
            throw ApplicationFailure.newNonRetryableFailure("invalid campaign input: 'resume' is set by the campaign "
                    + "itself when it continues as new; remove it from the campaign JSON", FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        if (!continued && resumeFrom != null) {
            throw ApplicationFailure.newNonRetryableFailure("invalid campaign start: the workflow's second argument is "
                    + "the campaign's own continue-as-new state; start it with the campaign JSON alone",
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        // A run continued as new by a worker from before the run state travelled beside the input finds it inside.
        CampaignCheckpoint checkpoint = resumeFrom != null ? resumeFrom : userInput.legacyResume();
        CampaignInput input = userInput.withoutLegacyResume();
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

        // With the approval gate the instructions run twice: Stage 1 alone (S1 to S5), then, once approved, Stage 2
        // alone from the stored records. Only campaigns asking for the gate reach the marker: the command sequence of
        // every other campaign (and of the recorded histories) is unchanged.
        boolean gated = config.approveBeforeStage2()
                && Workflow.getVersion(APPROVAL_GATE_CHANGE, Workflow.DEFAULT_VERSION, 1) == 1;
        boolean stage2Wave = gated && CampaignControl.APPROVED.equals(control.approval());
        int next; // every instruction before it finished: its records are stored
        if (Workflow.getVersion(NO_DRAIN_CHANGE, Workflow.DEFAULT_VERSION, 1) == 1) {
            if (checkpoint.inFlight() != null) {
                reporting.putAll(checkpoint.inFlight());
            }
            // Recorded in the run's history: a worker with another bound replays the run as it was decided.
            int eventBound = Workflow.sideEffect(Integer.class, () -> eventsPerRun);
            try {
                next = runWithoutDrain(campaignId, outputDir, count, checkpoint.nextIndex(), gated, stage2Wave,
                        eventBound);
            } catch (RuntimeException e) { // cancelled, or failed: abandoned children would run on, so stop them
                cancelChildren(campaignId, stage2Wave);
                throw e;
            }
            if (!reporting.isEmpty() || (next < count && funnel.stopReason() == null)) {
                Workflow.continueAsNew(input, new CampaignCheckpoint(outputDir, count, next, funnel,
                        checkpoint.queryPool(), control, config, thresholds, new TreeMap<>(reporting)));
            }
        } else {
            next = drainingWindow(input, campaignId, checkpoint, gated, stage2Wave);
        }
        if (gated && !stage2Wave && funnel.stopReason() == null) {
            awaitApproval(campaignId, outputDir);
            if (CampaignControl.APPROVED.equals(control.approval())) {
                // Stage 2 starts over at the first instruction in a fresh run: its history is Stage 2's alone.
                Workflow.continueAsNew(input, new CampaignCheckpoint(outputDir, count, 0, funnel,
                        checkpoint.queryPool(), control, config, thresholds));
            }
        }
        if (funnel.stopReason() == null && missedTarget(config) != null) {
            funnel = funnel.stoppedBecause(missedTarget(config));
        }
        // Stage 2 ran for the instructions before next unless this is the Stage 1 wave of a gated campaign (rejected),
        // whose Stage 2 never ran.
        int instructionsRecorded = stage2Wave ? count : next;
        int responsesRecorded = gated && !stage2Wave ? 0 : next;
        ExportedFiles files = exporter.export(new ExportRequest(outputDir, campaignId, funnel, config,
                instructionsRecorded, responsesRecorded));
        return new CampaignResult(campaignId, config.preset().wireName(), outputDir, funnel, files.files(),
                checkpoint.queryPool());
    }

    /**
     * The window without drain: starts children while the window has room, counts the outcomes they signal, and
     * returns where drawing stopped once nothing is left in flight, or as soon as this run's history (or its running
     * children) should continue as new: then {@link #reporting} holds the instructions still in flight.
     */
    private int runWithoutDrain(String campaignId, String outputDir, int count, int next, boolean gated,
                                boolean stage2Wave, int eventBound) {
        Iterator<InstructionRef> page = List.<InstructionRef>of().iterator();
        while (true) {
            countReported(campaignId, stage2Wave);
            if ((next >= count || funnel.stopReason() != null) && reporting.isEmpty()) {
                return next;
            }
            while (reporting.size() < control.window(config) && next < count && !control.paused()
                    && startedHere.size() < PENDING_CHILDREN_PER_RUN && !drawingStopped(config)) {
                if (!page.hasNext()) {
                    page = storeCalls.readInstructions(new ReadInstructionsRequest(outputDir, next,
                            Math.min(PAGE_SIZE, count - next))).iterator();
                }
                InstructionRef ref = page.next();
                reporting.put(ref.index(), ref.id());
                startedHere.put(ref.index(), startChild(campaignId, outputDir, config, ref, gated, stage2Wave, true));
                next++;
            }
            boolean more = next < count;
            if (runFull(eventBound) || (more && startedHere.size() >= PENDING_CHILDREN_PER_RUN && !control.paused()
                    && funnel.stopReason() == null && reporting.size() < control.window(config))) {
                // A child must have started before the run that started it closes; then it reports to the next run.
                Promise.allOf(starting).get();
                countReported(campaignId, stage2Wave);
                return next;
            }
            // Wakes on a report, on a child of this run ending (its failure fails the campaign), when an update lets
            // more start (resume, a wider window), when stopDrawing ends a pause with nothing in flight, or when the
            // history asks for continue-as-new.
            Workflow.await(() -> !reported.isEmpty() || failure != null
                    || startedHere.values().stream().anyMatch(Promise::isCompleted)
                    || (more && funnel.stopReason() == null && !control.paused()
                        && reporting.size() < control.window(this.config))
                    || (reporting.isEmpty() && funnel.stopReason() != null)
                    || runFull(eventBound));
        }
    }

    /** Counts each signalled outcome once (by instruction index and ID: a repeat finds nothing in flight). */
    private void countReported(String campaignId, boolean stage2Wave) {
        for (InstructionOutcome outcome : reported) {
            if (reporting.remove(outcome.index(), outcome.instructionId())) {
                count(outcome, stage2Wave);
            }
        }
        boolean counted = !reported.isEmpty();
        reported.clear();
        if (failure != null) {
            if (reporting.remove(failure.index(), failure.instructionId())) {
                throw ApplicationFailure.newNonRetryableFailure(failure.message(), failure.type());
            }
            failure = null; // not an instruction of this wave in flight
        }
        for (Iterator<Promise<InstructionOutcome>> it = startedHere.values().iterator(); it.hasNext(); ) {
            Promise<InstructionOutcome> child = it.next();
            if (child.isCompleted()) {
                it.remove();
                child.get(); // a child that failed without reporting (terminated, timed out) fails the campaign too
            }
        }
        starting.removeIf(Promise::isCompleted);
        if (counted) {
            CampaignMetrics.publish(campaignId, funnel);
        }
    }

    /** Time to continue as new: this run's history nears the bounds (or the server suggests it). */
    private static boolean runFull(int eventBound) {
        WorkflowInfo info = Workflow.getInfo();
        return info.getHistoryLength() >= eventBound || info.getHistorySize() >= HISTORY_BYTES_PER_RUN
                || info.isContinueAsNewSuggested();
    }

    /**
     * Children start abandoned, so a cancelled (or failed) campaign cancels the ones still in flight itself, in a scope
     * its own cancellation does not reach. A child that already finished has nothing to cancel.
     */
    private void cancelChildren(String campaignId, boolean stage2Wave) {
        Workflow.newDetachedCancellationScope(() -> {
            List<Promise<Void>> requests = new ArrayList<>();
            for (Map.Entry<Integer, String> inFlight : reporting.entrySet()) {
                Promise<InstructionOutcome> startedInThisRun = startedHere.get(inFlight.getKey());
                if (startedInThisRun != null && startedInThisRun.isCompleted()) {
                    continue; // it finished already
                }
                String instructionId = inFlight.getValue();
                String childId = stage2Wave ? InstructionWorkflow.stage2WorkflowId(campaignId, instructionId)
                        : InstructionWorkflow.workflowId(campaignId, instructionId);
                requests.add(Async.procedure(Workflow.newUntypedExternalWorkflowStub(childId)::cancel));
                if (requests.size() == CANCEL_BATCH) {
                    awaitCancelRequests(requests);
                }
            }
            awaitCancelRequests(requests);
        }).run();
    }

    /**
     * A request to a child that finished meanwhile fails on a real server; the in-process test server never answers
     * it: a minute is ample for the rest, and the campaign's own failure or cancellation is what it ends with.
     */
    private static void awaitCancelRequests(List<Promise<Void>> requests) {
        Workflow.await(CANCEL_REQUEST_WAIT, () -> requests.stream().allMatch(Promise::isCompleted));
        requests.clear();
    }

    /** Before {@link #NO_DRAIN_CHANGE}: the window drained every {@code childrenPerRun} instructions. */
    private int drainingWindow(CampaignInput input, String campaignId, CampaignCheckpoint checkpoint, boolean gated,
                                boolean stage2Wave) {
        String outputDir = checkpoint.outputDir();
        int count = checkpoint.instructionCount();
        int next = checkpoint.nextIndex();
        int stopAt = Math.min(count, next + childrenPerRun);
        Iterator<InstructionRef> page = List.<InstructionRef>of().iterator();
        while ((next < stopAt && funnel.stopReason() == null) || !inFlight.isEmpty()) {
            while (inFlight.size() < control.window(config) && next < stopAt && !control.paused()
                    && !drawingStopped(config)) {
                if (!page.hasNext()) {
                    page = storeCalls.readInstructions(new ReadInstructionsRequest(outputDir, next,
                            Math.min(PAGE_SIZE, stopAt - next))).iterator();
                }
                inFlight.add(startChild(campaignId, outputDir, config, page.next(), gated, stage2Wave, false));
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
                    count(p.get(), stage2Wave);
                }
            }
            CampaignMetrics.publish(campaignId, funnel);
        }
        if (next < count && funnel.stopReason() == null) {
            Workflow.continueAsNew(input, new CampaignCheckpoint(outputDir, count, next, funnel,
                    checkpoint.queryPool(), control, config, thresholds));
        }
        return next;
    }

    private void count(InstructionOutcome outcome, boolean stage2Wave) {
        if (!stage2Wave) { // the Stage 1 wave counted the instruction already
            funnel = outcome.kept() ? funnel.withKept() : funnel.withDropped(outcome.dropReason());
        }
        funnel = funnel.withUsage(outcome.llmUsage(), config.prices()).withResponses(outcome.responses());
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
     * @param reportsBySignal the child starts abandoned and signals its outcome (a continued run counts it)
     */
    private Promise<InstructionOutcome> startChild(String campaignId, String outputDir, CampaignConfig config,
                                                   InstructionRef ref, boolean gated, boolean stage2Wave,
                                                   boolean reportsBySignal) {
        String text = ref.text();
        ChildWorkflowOptions.Builder options = ChildWorkflowOptions.newBuilder()
                .setWorkflowId(stage2Wave ? InstructionWorkflow.stage2WorkflowId(campaignId, ref.id())
                        : InstructionWorkflow.workflowId(campaignId, ref.id()))
                .setTaskQueue(TaskQueues.WORKFLOWS)
                .setStaticSummary(text.length() > SUMMARY_CHARS ? text.substring(0, SUMMARY_CHARS) + "…" : text)
                .setTypedSearchAttributes(io.temporal.common.SearchAttributes.newBuilder()
                        .set(SearchAttributes.CAMPAIGN, campaignId)
                        .set(SearchAttributes.STAGE, stage2Wave ? SearchAttributes.STAGE_RESPONSES : Stage.S2.name())
                        .build());
        if (reportsBySignal) {
            // The child outlives this run (continue-as-new) and the campaign cancels it itself (cancelChildren).
            options.setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                    .setCancellationType(ChildWorkflowCancellationType.ABANDON);
        }
        InstructionWorkflow child = Workflow.newChildWorkflowStub(InstructionWorkflow.class, options.build());
        InstructionTask task = new InstructionTask(campaignId, outputDir, ref.index(), ref.id(), text,
                config.supervision(), config.verifiersPerInstruction(), config.preset().wireName(),
                thresholds, config.evaluationTimeoutSeconds(), config.keepTruncated(),
                config.llmRetryInitialIntervalMillis(), config.consistency(), config.consistencyJudge(),
                gated && !stage2Wave ? null : config.responseStage(), stage2Wave, reportsBySignal);
        Promise<InstructionOutcome> result = Async.function(child::run, task);
        if (reportsBySignal) {
            starting.add(Workflow.getWorkflowExecution(child));
        }
        return result;
    }

    /** Instructions in flight: a run either drains its window (before {@link #NO_DRAIN_CHANGE}) or tracks reports. */
    private int inFlightCount() {
        return inFlight.size() + reporting.size();
    }

    @Override
    public void instructionFinished(InstructionOutcome outcome) {
        reported.add(outcome);
    }

    @Override
    public void instructionFailed(InstructionFailure failed) {
        if (failure == null) {
            failure = failed;
        }
    }

    @Override
    public Funnel funnel() {
        return funnel;
    }

    @Override
    public CampaignProgress progress() {
        CampaignControl c = control != null ? control : CampaignControl.startedAt(Workflow.currentTimeMillis());
        return CampaignProgress.of(funnel, inFlightCount(), c, config == null ? 0 : c.window(config),
                Workflow.currentTimeMillis());
    }

    @Override
    public String pause() {
        awaitStarted();
        control = control.withPaused(true);
        return "paused: no new instruction starts; " + inFlightCount() + " in flight finish";
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
        return "maxConcurrentInstructions " + n + " (" + inFlightCount() + " in flight)";
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
                + funnel.instructions() + " instructions finished, " + inFlightCount() + " in flight");
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
