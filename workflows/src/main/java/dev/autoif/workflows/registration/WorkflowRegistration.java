package dev.autoif.workflows.registration;

import dev.autoif.workflows.TaskQueues;
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

    /**
     * The system property {@value #EVENTS_PER_RUN_PROPERTY} lowers a campaign run's history events before it continues
     * as new, so that a benchmark of a few hundred instructions crosses several runs (README, "Test tiers").
     */
    public static void register(Worker worker) {
        register(worker, CampaignWorkflowImpl.CHILDREN_PER_RUN,
                Integer.getInteger(EVENTS_PER_RUN_PROPERTY, CampaignWorkflowImpl.EVENTS_PER_RUN));
    }

    public static final String EVENTS_PER_RUN_PROPERTY = "autoif.campaign.eventsPerRun";

    /**
     * @param childrenPerRun instructions per campaign run before a drained continue-as-new (campaigns from before
     *                       continue-as-new without drain; tests make it small)
     * @param eventsPerRun   history events of a campaign run before it continues as new (tests make it small)
     */
    public static void register(Worker worker, int childrenPerRun, int eventsPerRun) {
        // Bad campaign JSON (unknown field, wrong type) must fail the workflow, not retry its task forever.
        WorkflowImplementationOptions failOnBadInput = WorkflowImplementationOptions.newBuilder()
                .setFailWorkflowExceptionTypes(DataConverterException.class)
                .build();
        worker.registerWorkflowImplementationFactory(CampaignWorkflow.class,
                () -> new CampaignWorkflowImpl(childrenPerRun, eventsPerRun), failOnBadInput);
        worker.registerWorkflowImplementationTypes(failOnBadInput, InstructionWorkflowImpl.class);
        OnlineDpoWorkflows.register(worker, failOnBadInput, OnlineDpoRoundWorkflowImpl.PAGES_PER_RUN);
    }
}
