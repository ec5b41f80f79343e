package dev.autoif.workflows.instruction;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One instruction's life: S2 then S3. Its workflow ID is the campaign ID plus a hash of the
 * instruction, so the UI and {@code temporal workflow list} find it, and its history shows the
 * completions, the pass matrix and the verdict.
 */
@WorkflowInterface
public interface InstructionWorkflow {
    String TYPE = "AutoifInstruction";
    /** Signal to the campaign: an instruction's outcome (its signal method is the campaign workflow's). */
    String FINISHED_SIGNAL = "instructionFinished";
    /** Signal to the campaign: an instruction failed for a campaign-fatal cause. */
    String FAILED_SIGNAL = "instructionFailed";

    @WorkflowMethod(name = TYPE)
    InstructionOutcome run(InstructionTask task);

    static String workflowId(String campaignId, String instructionId) {
        return campaignId + "/instruction-" + instructionId;
    }

    /** The child that runs Stage 2 alone after the campaign's approval gate ({@link InstructionTask#stage2Only()}). */
    static String stage2WorkflowId(String campaignId, String instructionId) {
        return workflowId(campaignId, instructionId) + "/stage2";
    }
}
