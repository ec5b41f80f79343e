package dev.autoif.workflows;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Which of a campaign's models answers an LLM call: its campaign field, and the "role" of LLM usage and metrics. */
public enum LlmRole {
    /** Writes instructions, verifiers, back-translations and (offline) responses: campaign field {@code supervision}. */
    SUPERVISION,
    /** Judges entailment (S5) and scores responses (S8): campaign field {@code judge}. */
    JUDGE,
    /** Answers prompts in online DPO: a round's {@code policy}. */
    POLICY;

    /** The name in campaign JSON, records and metrics ("supervision", "judge", "policy"). */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
