package dev.autoif.workflows;

/** Why an instruction left the funnel. Every drop carries exactly one of these. */
public enum DropReason {
    /** No S2 completion held a usable JSON object with a function. */
    NO_PARSEABLE_COMPLETION,
    /** Functions were parsed but none compiles or can be defined without raising. */
    NO_USABLE_FUNCTION,
    /** Fewer distinct usable functions than the preset's gate. */
    TOO_FEW_FUNCTIONS,
    /** Fewer distinct test cases than the preset's gate. */
    TOO_FEW_CASES,
    /** No test case is reproduced by enough functions. */
    NO_CASE_SURVIVES,
    /** No function reaches the preset's accuracy bar on the kept cases. */
    NO_FUNCTION_REACHES_BAR,
    /** S5: a back-translation of a kept function contradicts the instruction (natural-language inference). */
    BACK_TRANSLATION_CONTRADICTION,
    /** A stage failed after all its retries (the failure message is kept with the drop). */
    STAGE_FAILED
}
