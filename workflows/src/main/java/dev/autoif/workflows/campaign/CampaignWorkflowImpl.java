package dev.autoif.workflows.campaign;

import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.CampaignStoreActivities;
import dev.autoif.workflows.activities.ExportedFiles;
import dev.autoif.workflows.activities.InstructionRef;
import dev.autoif.workflows.activities.LlmUsage;
import dev.autoif.workflows.activities.PreparedCampaign;
import dev.autoif.workflows.activities.SeedSource;
import dev.autoif.workflows.activities.SelfInstructCompletions;
import dev.autoif.workflows.activities.SelfInstructRequest;
import dev.autoif.workflows.instruction.InstructionOutcome;
import dev.autoif.workflows.instruction.InstructionTask;
import dev.autoif.workflows.instruction.InstructionWorkflow;
import dev.autoif.workflows.instruction.InstructionWorkflowImpl;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
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
    private static final int SUMMARY_CHARS = 200;

    private final CampaignStoreActivities store = Workflow.newActivityStub(CampaignStoreActivities.class,
            ActivityOptions.newBuilder()
                    .setTaskQueue(TaskQueues.WORKFLOWS)
                    .setStartToCloseTimeout(Duration.ofMinutes(10))
                    .build());

    private final int childrenPerRun;
    private Funnel funnel = Funnel.start(0);

    public CampaignWorkflowImpl() {
        this(CHILDREN_PER_RUN);
    }

    /** Tests use a small run length to exercise continue-as-new. */
    public CampaignWorkflowImpl(int childrenPerRun) {
        this.childrenPerRun = childrenPerRun;
    }

    @Override
    public CampaignResult run(CampaignInput input) {
        CampaignConfig config;
        try {
            config = CampaignConfig.from(input);
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure("invalid campaign input: " + e.getMessage(),
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        String campaignId = Workflow.getInfo().getWorkflowId();

        CampaignCheckpoint checkpoint = input.resume();
        if (checkpoint == null) {
            PreparedCampaign prepared = store.prepare(campaignId,
                    new SeedSource(config.seedInstructions(), config.seedFile()), config.outputDir());
            List<LlmUsage> selfInstructUsage = List.of();
            if (config.selfInstructCalls() > 0) {
                // S1: new instructions from the seeds, merged with them before any instruction workflow starts.
                List<String> seeds = instructionTexts(prepared);
                SelfInstructCompletions generated = InstructionWorkflowImpl.llm(config.llmRetryInitialIntervalMillis())
                        .selfInstruct(new SelfInstructRequest(campaignId, seeds, config.supervision(), config.selfInstructCalls()));
                selfInstructUsage = generated.usage();
                prepared = store.mergeInstructions(prepared.outputDir(), seeds, generated.instructions(),
                        config.nearDuplicateThreshold());
            }
            checkpoint = new CampaignCheckpoint(prepared.outputDir(), prepared.instructionCount(), 0,
                    Funnel.start(prepared.instructionCount()).withUsage(selfInstructUsage, config.prices()));
        }
        funnel = checkpoint.funnel();
        String outputDir = checkpoint.outputDir();
        int count = checkpoint.instructionCount();
        int next = checkpoint.nextIndex();
        int stopAt = Math.min(count, next + childrenPerRun);

        List<Promise<InstructionOutcome>> inFlight = new ArrayList<>();
        Iterator<InstructionRef> page = List.<InstructionRef>of().iterator();
        while (next < stopAt || !inFlight.isEmpty()) {
            while (inFlight.size() < config.maxConcurrentInstructions() && next < stopAt) {
                if (!page.hasNext()) {
                    page = store.readInstructions(outputDir, next, Math.min(PAGE_SIZE, stopAt - next)).iterator();
                }
                inFlight.add(startChild(campaignId, outputDir, config, page.next()));
                next++;
            }
            Workflow.await(() -> inFlight.stream().anyMatch(Promise::isCompleted));
            for (Iterator<Promise<InstructionOutcome>> it = inFlight.iterator(); it.hasNext(); ) {
                Promise<InstructionOutcome> p = it.next();
                if (p.isCompleted()) {
                    it.remove();
                    // A child fails only for campaign-fatal causes (bad endpoint, missing image): fail loudly.
                    InstructionOutcome outcome = p.get();
                    funnel = outcome.kept() ? funnel.withKept() : funnel.withDropped(outcome.dropReason());
                    funnel = funnel.withUsage(outcome.llmUsage(), config.prices());
                }
            }
        }
        if (next < count) {
            CampaignInput continued = input.resumedAt(new CampaignCheckpoint(outputDir, count, next, funnel));
            Workflow.continueAsNew(continued);
        }
        ExportedFiles files = store.export(outputDir, campaignId, config.preset().wireName(), funnel);
        return new CampaignResult(campaignId, config.preset().wireName(), outputDir, funnel, files.files());
    }

    private List<String> instructionTexts(PreparedCampaign prepared) {
        List<String> texts = new ArrayList<>();
        while (texts.size() < prepared.instructionCount()) {
            store.readInstructions(prepared.outputDir(), texts.size(), PAGE_SIZE).forEach(ref -> texts.add(ref.text()));
        }
        return texts;
    }

    private Promise<InstructionOutcome> startChild(String campaignId, String outputDir, CampaignConfig config,
                                                   InstructionRef ref) {
        String text = ref.text();
        InstructionWorkflow child = Workflow.newChildWorkflowStub(InstructionWorkflow.class, ChildWorkflowOptions.newBuilder()
                .setWorkflowId(InstructionWorkflow.workflowId(campaignId, ref.id()))
                .setTaskQueue(TaskQueues.WORKFLOWS)
                .setStaticSummary(text.length() > SUMMARY_CHARS ? text.substring(0, SUMMARY_CHARS) + "…" : text)
                .setTypedSearchAttributes(io.temporal.common.SearchAttributes.newBuilder()
                        .set(SearchAttributes.CAMPAIGN, campaignId)
                        .set(SearchAttributes.STAGE, "S2")
                        .build())
                .build());
        InstructionTask task = new InstructionTask(campaignId, outputDir, ref.index(), ref.id(), text,
                config.supervision(), config.verifiersPerInstruction(), config.preset().wireName(),
                config.preset().crossValidation(), config.evaluationTimeoutSeconds(), config.keepTruncated(),
                config.llmRetryInitialIntervalMillis(), config.consistency(), config.consistencyJudge());
        return Async.function(child::run, task);
    }

    @Override
    public Funnel funnel() {
        return funnel;
    }
}
