package dev.autoif.workflows.activities;

import dev.autoif.workflows.campaign.LlmSettings;

/**
 * S2: ask a model for {@code samples} verifier completions for one instruction.
 *
 * @param role          which of the campaign's models answers ("supervision", "judge", "policy"), for accounting
 * @param stage         the method's stage ("S2"), for accounting
 * @param keepTruncated keep completions cut off by the token cap (finish_reason=length) instead of marking them
 *                      unusable with reason TRUNCATED
 */
public record VerifierRequest(String campaignId, String instruction, LlmSettings llm, int samples,
                              String role, String stage, boolean keepTruncated) {

    public static final String ROLE_SUPERVISION = "supervision";
    public static final String ROLE_JUDGE = "judge";
    public static final String ROLE_POLICY = "policy";

    public VerifierRequest(String campaignId, String instruction, LlmSettings llm, int samples) {
        this(campaignId, instruction, llm, samples, ROLE_SUPERVISION, "S2", false);
    }
}
