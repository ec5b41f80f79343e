package dev.autoif.workflows.activities.llm;

import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;

/**
 * S2: ask a model for {@code samples} verifier completions for one instruction.
 *
 * @param role          which of the campaign's models answers ("supervision", "judge", "policy"), for accounting
 * @param stage         the method's stage ("S2"), for accounting
 * @param keepTruncated keep completions cut off by the token cap (finish_reason=length) instead of marking them
 *                      unusable with reason TRUNCATED
 * @param storeSamplesAt where to store the completions whole (see {@link SamplesDestination}); null (requests from
 *                       before it) returns them whole instead
 */
public record VerifierRequest(String campaignId, String instruction, LlmSettings llm, int samples,
                              LlmRole role, Stage stage, boolean keepTruncated, SamplesDestination storeSamplesAt) {

    public VerifierRequest(String campaignId, String instruction, LlmSettings llm, int samples) {
        this(campaignId, instruction, llm, samples, LlmRole.SUPERVISION, Stage.S2, false, null);
    }
}
