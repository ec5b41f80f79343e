package dev.autoif.workflows.crossval;

import dev.autoif.workflows.DropReason;
import java.util.List;

/**
 * What S3 decided for one instruction.
 *
 * @param accuracies   per distinct function (same order as the input), null for unusable ones
 * @param keptFunctions indexes of functions that reached the bar
 * @param keptCases     indexes of cases that survived the case filter
 * @param dropReason   null when the instruction is kept
 */
public record CrossValidationResult(
        List<Double> accuracies, List<Integer> keptFunctions, List<Integer> keptCases, DropReason dropReason) {

    public boolean kept() {
        return dropReason == null;
    }
}
