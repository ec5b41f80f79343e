package dev.autoif.workflows.instruction;

import dev.autoif.workflows.activities.store.CaseRecord;
import dev.autoif.workflows.activities.store.VerifierRecord;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.crossval.CrossValidation;
import dev.autoif.workflows.crossval.CrossValidationResult;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import dev.autoif.workflows.crossval.TestCase;
import dev.autoif.workflows.crossval.Thresholds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * S3 step 2 for one instruction: the distinct functions and test cases of its usable completions,
 * in order of first appearance, and the distinct inputs the sandbox must evaluate them on. Pure,
 * so the instruction workflow and the offline {@code autoif stage cross-validate} command apply
 * exactly the same rules.
 *
 * @param functions distinct verifier sources (exact text)
 * @param cases     distinct (input, label) pairs
 * @param inputs    distinct inputs of {@code cases}: the columns of the pass matrix
 */
public record VerifierPool(List<String> functions, List<TestCase> cases, List<String> inputs) {

    public static VerifierPool of(List<VerifierSample> samples) {
        LinkedHashSet<String> functions = new LinkedHashSet<>();
        LinkedHashSet<TestCase> cases = new LinkedHashSet<>();
        for (VerifierSample s : samples) {
            if (s.usable()) {
                functions.add(s.func());
                cases.addAll(s.cases());
            }
        }
        LinkedHashSet<String> inputs = new LinkedHashSet<>();
        for (TestCase c : cases) {
            inputs.add(c.input());
        }
        return new VerifierPool(List.copyOf(functions), List.copyOf(cases), List.copyOf(inputs));
    }

    /** Column of each input in the pass matrix. */
    public Map<String, Integer> inputIndex() {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (String input : inputs) {
            index.put(input, index.size());
        }
        return index;
    }

    /** Applies the preset's rules to the pass matrix the sandbox computed (one row per function). */
    public CrossValidationResult decide(Thresholds t, List<FunctionEvaluation> rows) {
        return CrossValidation.decide(t, rows, inputIndex(), cases);
    }

    /** Every distinct function with its accuracy, whether it was kept and why it was unusable. */
    public List<VerifierRecord> verifierRecords(List<FunctionEvaluation> rows, CrossValidationResult cv) {
        List<VerifierRecord> records = new ArrayList<>();
        for (int f = 0; f < functions.size(); f++) {
            records.add(new VerifierRecord(functions.get(f), cv.accuracies().get(f),
                    cv.keptFunctions().contains(f), rows.get(f).definitionError()));
        }
        return records;
    }

    /** Every distinct case with how many usable functions reproduced its label and whether it was kept. */
    public List<CaseRecord> caseRecords(List<FunctionEvaluation> rows, CrossValidationResult cv) {
        Map<String, Integer> column = inputIndex();
        List<CaseRecord> records = new ArrayList<>();
        for (int c = 0; c < cases.size(); c++) {
            TestCase tc = cases.get(c);
            int agreeing = 0;
            for (FunctionEvaluation row : rows) {
                if (row.usable() && row.cells().get(column.get(tc.input())).agreesWith(tc.label())) {
                    agreeing++;
                }
            }
            records.add(new CaseRecord(tc.input(), tc.label(), agreeing, cv.keptCases().contains(c)));
        }
        return records;
    }
}
