package dev.autoif.workflows.dpo;

import io.temporal.worker.Worker;
import io.temporal.worker.WorkflowImplementationOptions;

/** Registers the online DPO workflows on a worker of {@code TaskQueues.WORKFLOWS}. */
public final class OnlineDpoWorkflows {
    private OnlineDpoWorkflows() {}

    /** @param pagesPerRun pages of prompts per round run before continue-as-new (tests make it small) */
    public static void register(Worker worker, WorkflowImplementationOptions options, int pagesPerRun) {
        worker.registerWorkflowImplementationTypes(options, OnlineDpoWorkflowImpl.class);
        worker.registerWorkflowImplementationFactory(OnlineDpoRoundWorkflow.class,
                () -> new OnlineDpoRoundWorkflowImpl(pagesPerRun), options);
    }
}
