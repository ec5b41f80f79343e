package dev.autoif.workflows;

import dev.autoif.workflows.campaign.CampaignWorkflow;
import dev.autoif.workflows.campaign.CampaignWorkflowImpl;
import dev.autoif.workflows.dpo.OnlineDpoRoundWorkflowImpl;
import dev.autoif.workflows.dpo.OnlineDpoWorkflows;
import dev.autoif.workflows.instruction.InstructionWorkflowImpl;
import io.temporal.common.converter.DataConverterException;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkflowImplementationOptions;

/** Registers the product's workflows on a worker of {@link TaskQueues#WORKFLOWS}, the same way everywhere. */
public final class WorkflowRegistration {
    private WorkflowRegistration() {}

    public static void register(Worker worker) {
        register(worker, CampaignWorkflowImpl.CHILDREN_PER_RUN);
    }

    /** @param childrenPerRun instructions per campaign run before continue-as-new (tests make it small) */
    public static void register(Worker worker, int childrenPerRun) {
        // Bad campaign JSON (unknown field, wrong type) must fail the workflow, not retry its task forever.
        WorkflowImplementationOptions failOnBadInput = WorkflowImplementationOptions.newBuilder()
                .setFailWorkflowExceptionTypes(DataConverterException.class)
                .build();
        worker.registerWorkflowImplementationFactory(CampaignWorkflow.class,
                () -> new CampaignWorkflowImpl(childrenPerRun), failOnBadInput);
        worker.registerWorkflowImplementationTypes(failOnBadInput, InstructionWorkflowImpl.class);
        OnlineDpoWorkflows.register(worker, failOnBadInput, OnlineDpoRoundWorkflowImpl.PAGES_PER_RUN);
    }
}
