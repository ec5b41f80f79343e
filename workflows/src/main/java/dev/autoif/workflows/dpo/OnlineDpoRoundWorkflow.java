package dev.autoif.workflows.dpo;

import dev.autoif.workflows.activities.dpostore.DpoRoundResult;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** One online DPO round (a child of {@link OnlineDpoWorkflow}): sample, score, pair, train. */
@WorkflowInterface
public interface OnlineDpoRoundWorkflow {
    String TYPE = "AutoifOnlineDpoRound";

    @WorkflowMethod(name = TYPE)
    DpoRoundResult run(DpoRoundTask task);

    @QueryMethod(name = "progress")
    DpoRoundProgress progress();
}
