package dev.autoif.workflows.campaign;

import dev.autoif.workflows.instruction.InstructionFailure;
import dev.autoif.workflows.instruction.InstructionOutcome;
import dev.autoif.workflows.instruction.InstructionWorkflow;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A whole AutoIF campaign. The workflow ID is the campaign ID. The query and update names are the CLI contract
 * ({@code temporal workflow query --name progress}, {@code temporal workflow update execute --name pause}; README,
 * "Operating a running campaign").
 */
@WorkflowInterface
public interface CampaignWorkflow {
    /** Stable type name: the CLI contract ({@code temporal workflow start --type AutoifCampaign}). */
    String TYPE = "AutoifCampaign";
    String PAUSE = "pause";
    String RESUME = "resume";
    String SET_MAX_CONCURRENT_INSTRUCTIONS = "setMaxConcurrentInstructions";
    String STOP_DRAWING = "stopDrawing";
    String PROGRESS = "progress";
    String APPROVE = "approve";
    String REJECT = "reject";
    String INSTRUCTION_FINISHED = InstructionWorkflow.FINISHED_SIGNAL;
    String INSTRUCTION_FAILED = InstructionWorkflow.FAILED_SIGNAL;

    /**
     * @param input      the campaign as its user wrote it
     * @param resumeFrom internal: null when a campaign starts (clients pass null; {@code temporal workflow start
     *                   --input-file campaign.json} sends the input alone, and the SDK gives the missing argument
     *                   null); the run state (settings resolved at the start, position, funnel, live control) a run
     *                   hands to the next when it continues as new. A campaign started with it fails naming it.
     */
    @WorkflowMethod(name = TYPE)
    CampaignResult run(CampaignInput input, CampaignCheckpoint resumeFrom);

    /** Counts per stage and drop reason, readable while the campaign runs. */
    @QueryMethod(name = "funnel")
    Funnel funnel();

    /** Done/total, kept and dropped, responses, tokens, cost, elapsed time and ETA. */
    @QueryMethod(name = PROGRESS)
    CampaignProgress progress();

    /** No new instruction starts until {@link #resume()}; those in flight finish. Returns the state in words. */
    @UpdateMethod(name = PAUSE)
    String pause();

    @UpdateMethod(name = RESUME)
    String resume();

    /** Changes the window of instruction workflows running at once, without a restart. */
    @UpdateMethod(name = SET_MAX_CONCURRENT_INSTRUCTIONS)
    String setMaxConcurrentInstructions(int n);

    @UpdateValidatorMethod(updateName = SET_MAX_CONCURRENT_INSTRUCTIONS)
    void validateMaxConcurrentInstructions(int n);

    /** Lets the instructions in flight finish, then exports; the stop reason says the operator stopped it. */
    @UpdateMethod(name = STOP_DRAWING)
    String stopDrawing();

    @UpdateValidatorMethod(updateName = STOP_DRAWING)
    void validateStopDrawing();

    /** A campaign with approveBeforeStage2 waiting after Stage 1: run Stage 2. */
    @UpdateMethod(name = APPROVE)
    String approve();

    @UpdateValidatorMethod(updateName = APPROVE)
    void validateApprove();

    /** A campaign with approveBeforeStage2 waiting after Stage 1: finish with Stage 1's outputs, no Stage 2. */
    @UpdateMethod(name = REJECT)
    String reject();

    @UpdateValidatorMethod(updateName = REJECT)
    void validateReject();

    /**
     * Sent by an instruction child the campaign started abandoned, to whichever run of the campaign is current: its
     * outcome, counted once per instruction index (a repeat is ignored).
     */
    @SignalMethod(name = INSTRUCTION_FINISHED)
    void instructionFinished(InstructionOutcome outcome);

    /** Sent instead by such a child that failed for a campaign-fatal cause: the campaign fails with it. */
    @SignalMethod(name = INSTRUCTION_FAILED)
    void instructionFailed(InstructionFailure failure);
}
