package dev.autoif.workflows.campaign;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** A whole AutoIF campaign. The workflow ID is the campaign ID. */
@WorkflowInterface
public interface CampaignWorkflow {
    /** Stable type name: the CLI contract ({@code temporal workflow start --type AutoifCampaign}). */
    String TYPE = "AutoifCampaign";

    @WorkflowMethod(name = TYPE)
    CampaignResult run(CampaignInput input);

    /** Counts per stage and drop reason, readable while the campaign runs. */
    @QueryMethod(name = "funnel")
    Funnel funnel();
}
