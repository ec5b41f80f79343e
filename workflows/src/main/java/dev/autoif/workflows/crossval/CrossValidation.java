package dev.autoif.workflows.crossval;

import dev.autoif.workflows.DropReason;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * S3 decision rules, applied to a pass matrix that the sandbox already computed. Pure and
 * deterministic, so it runs inside workflow code.
 */
public final class CrossValidation {
    private CrossValidation() {}

    /**
     * @param rows        one row per distinct function, each with one cell per distinct input
     * @param inputIndex  position of each distinct input in the rows' cells
     * @param cases       distinct test cases
     */
    public static CrossValidationResult decide(
            Thresholds t, List<FunctionEvaluation> rows, Map<String, Integer> inputIndex, List<TestCase> cases) {
        List<Integer> usable = new ArrayList<>();
        for (int f = 0; f < rows.size(); f++) {
            if (rows.get(f).usable()) {
                usable.add(f);
            }
        }
        List<Double> noAccuracies = Collections.nCopies(rows.size(), null);
        if (usable.isEmpty()) {
            return new CrossValidationResult(noAccuracies, List.of(), List.of(), DropReason.NO_USABLE_FUNCTION);
        }
        if (usable.size() < t.minFunctions()) {
            return new CrossValidationResult(noAccuracies, List.of(), List.of(), DropReason.TOO_FEW_FUNCTIONS);
        }
        if (cases.size() < t.minCases()) {
            return new CrossValidationResult(noAccuracies, List.of(), List.of(), DropReason.TOO_FEW_CASES);
        }

        List<Integer> keptCases = new ArrayList<>();
        for (int c = 0; c < cases.size(); c++) {
            int agreeing = 0;
            for (int f : usable) {
                if (cell(rows, f, inputIndex, cases.get(c)).agreesWith(cases.get(c).label())) {
                    agreeing++;
                }
            }
            boolean keep = switch (t.caseRule()) {
                case ANY -> agreeing >= 1;
                case MAJORITY -> agreeing * 2 > usable.size();
            };
            if (keep) {
                keptCases.add(c);
            }
        }
        if (keptCases.isEmpty()) {
            return new CrossValidationResult(noAccuracies, List.of(), List.of(), DropReason.NO_CASE_SURVIVES);
        }

        List<Double> accuracies = new ArrayList<>(noAccuracies);
        List<Integer> keptFunctions = new ArrayList<>();
        for (int f : usable) {
            int correct = 0;
            for (int c : keptCases) {
                if (cell(rows, f, inputIndex, cases.get(c)).agreesWith(cases.get(c).label())) {
                    correct++;
                }
            }
            double accuracy = (double) correct / keptCases.size();
            accuracies.set(f, accuracy);
            if (t.reachesBar(accuracy)) {
                keptFunctions.add(f);
            }
        }
        DropReason reason = keptFunctions.isEmpty() ? DropReason.NO_FUNCTION_REACHES_BAR : null;
        return new CrossValidationResult(accuracies, keptFunctions, keptCases, reason);
    }

    private static Cell cell(List<FunctionEvaluation> rows, int f, Map<String, Integer> inputIndex, TestCase c) {
        return rows.get(f).cells().get(inputIndex.get(c.input()));
    }
}
