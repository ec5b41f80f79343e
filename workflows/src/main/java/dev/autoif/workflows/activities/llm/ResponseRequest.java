package dev.autoif.workflows.activities.llm;

import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;

/**
 * S6 (and online DPO): ask a model for {@code samples} responses to one prompt.
 *
 * @param role  which of the campaign's models answers ("supervision" offline, "policy" online), for accounting
 * @param stage the method's stage ("S6", "D1"), for accounting
 */
public record ResponseRequest(String campaignId, String prompt, LlmSettings llm, int samples, LlmRole role, Stage stage) {}
