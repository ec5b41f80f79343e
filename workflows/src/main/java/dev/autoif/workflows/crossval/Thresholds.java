package dev.autoif.workflows.crossval;

/**
 * The S3 cross-validation rules.
 *
 * @param minFunctions           gate: distinct usable functions needed
 * @param minCases               gate: distinct test cases needed
 * @param caseRule               which cases survive
 * @param minFunctionAccuracy    bar a function's accuracy on the kept cases must reach
 * @param accuracyBarInclusive   true: accuracy >= bar (reference); false: accuracy > bar (paper)
 */
public record Thresholds(
        int minFunctions, int minCases, CaseRule caseRule, double minFunctionAccuracy, boolean accuracyBarInclusive) {

    public boolean reachesBar(double accuracy) {
        return accuracyBarInclusive ? accuracy >= minFunctionAccuracy : accuracy > minFunctionAccuracy;
    }
}
