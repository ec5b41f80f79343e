package dev.autoif.workflows.dpo;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** Online DPO over a finished campaign's prompts: one child workflow per round. */
@WorkflowInterface
public interface OnlineDpoWorkflow {
    /** Stable type name: the CLI contract ({@code temporal workflow start --type AutoifOnlineDpo}). */
    String TYPE = "AutoifOnlineDpo";

    @WorkflowMethod(name = TYPE)
    OnlineDpoResult run(OnlineDpoInput input);

    /** Round, prompts done and pairs so far ({@code temporal workflow query --type progress}). */
    @QueryMethod(name = "progress")
    OnlineDpoProgress progress();

    /** Internal: sent by the round workflows. */
    @SignalMethod(name = "roundProgress")
    void roundProgress(DpoRoundProgress progress);
}
