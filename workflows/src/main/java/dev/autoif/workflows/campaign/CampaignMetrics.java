package dev.autoif.workflows.campaign;

import com.uber.m3.tally.Scope;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.instruction.ResponseFunnel;
import io.temporal.workflow.Workflow;
import java.util.Map;

/**
 * Publishes a campaign's funnel as gauges on the worker's metrics registry (through the SDK's workflow metrics scope):
 * instructions, finished, kept and dropped by reason; Stage 2 prompts, responses, responses dropped by reason, SFT rows
 * and DPO pairs; LLM usage per stage/role/model and the cost so far. Labels: campaign, reason, stage, role, model.
 *
 * <p>Why gauges set to the funnel's totals, from workflow code, rather than counters incremented somewhere: the value
 * is the funnel's own number, so it equals funnel.json by construction. Counting in an activity would count again on
 * every retry (activities are at-least-once); incrementing in workflow code would count again whenever a workflow task
 * is re-executed after a worker died or a task timed out. Setting an absolute value is idempotent, so neither can make
 * it drift, and a worker that restarts publishes the right totals on the campaign's next step. On top of that,
 * {@link Workflow#getMetricsScope()} drops everything emitted while a history is replayed, so a replay never publishes a
 * stale value. The SDK's tally scope reports to Micrometer every few seconds ({@code MicrometerClientStatsReporter}:
 * gauge names unchanged, plus the tags namespace, task_queue and workflow_type). Several workers may each hold a value
 * for a campaign they stepped: the totals only grow, so {@code max by (campaign)} is the current one.
 */
public final class CampaignMetrics {
    private CampaignMetrics() {}

    /** Deterministic and side-effect free for the workflow: reads the funnel, records nothing in the history. */
    public static void publish(String campaignId, Funnel funnel) {
        Scope campaign = Workflow.getMetricsScope().tagged(Map.of("campaign", campaignId));
        campaign.gauge("autoif_campaign_instructions").update(funnel.instructions());
        campaign.gauge("autoif_campaign_instructions_finished").update(funnel.finished());
        campaign.gauge("autoif_campaign_instructions_kept").update(funnel.kept());
        funnel.droppedByReason().forEach((reason, n) ->
                campaign.tagged(Map.of("reason", reason)).gauge("autoif_campaign_instructions_dropped").update(n));
        ResponseFunnel r = funnel.responses();
        campaign.gauge("autoif_campaign_prompts").update(r.prompts());
        campaign.gauge("autoif_campaign_responses").update(r.responses());
        r.droppedByReason().forEach((reason, n) ->
                campaign.tagged(Map.of("reason", reason)).gauge("autoif_campaign_responses_dropped").update(n));
        campaign.gauge("autoif_campaign_sft_rows").update(r.sftRows());
        campaign.gauge("autoif_campaign_dpo_pairs").update(r.dpoPairs());
        for (LlmUsage u : funnel.llmUsage()) {
            Scope s = campaign.tagged(Map.of("stage", u.stage() == null ? "" : u.stage().name(),
                    "role", u.role() == null ? "" : u.role().wireName(), "model", orEmpty(u.model())));
            s.gauge("autoif_campaign_llm_requests").update(u.requests());
            s.gauge("autoif_campaign_llm_retries").update(u.retries());
            s.gauge("autoif_campaign_llm_cache_hits").update(u.cacheHits());
            s.gauge("autoif_campaign_llm_completions").update(u.completions());
            s.gauge("autoif_campaign_llm_prompt_tokens").update(u.promptTokens());
            s.gauge("autoif_campaign_llm_completion_tokens").update(u.completionTokens());
        }
        if (funnel.llmCostUsd() != null) {
            campaign.gauge("autoif_campaign_llm_cost_usd").update(funnel.llmCostUsd());
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
