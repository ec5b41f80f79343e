package dev.autoif.workflows;

/** Why a sampled response did not become an SFT row. Every dropped response carries exactly one. */
public enum ResponseDropReason {
    /** The token cap cut it off (finish_reason=length) and the campaign does not keep truncated completions. */
    TRUNCATED,
    /** The same response was already sampled for this (instruction, query) prompt. */
    DUPLICATE,
    /** S7: too few of the instruction's verifier functions accepted it for the preset. */
    BELOW_PASS_RATE,
    /** S8: no judge sample ended with a readable "Score: N". */
    JUDGE_NO_SCORE,
    /** S8: the judge's mean score is not above the bar. */
    BELOW_JUDGE_SCORE,
    /** Scoring or judging failed after all its retries (the prompt or response record keeps the message). */
    STAGE_FAILED
}
