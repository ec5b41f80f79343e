package dev.autoif.workflows.crossval;

/** How many usable functions must reproduce a test case's label for the case to be kept. */
public enum CaseRule {
    /** At least one function (the reference code). */
    ANY,
    /** More than half of the usable functions (the paper). */
    MAJORITY
}
