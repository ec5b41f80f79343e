package dev.autoif.workflows.dpo;

import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import java.util.List;

/** Pass rates from a pass matrix. Pure: workflows call it. */
public final class DpoScoring {
    private DpoScoring() {}

    /**
     * The pass rate of each of {@code responses} inputs: the share of the instruction's functions that returned True.
     * Abstentions (errors, timeouts, non-bool returns) and functions that cannot be defined count as not passing.
     */
    public static double[] passRates(List<FunctionEvaluation> rows, int responses) {
        double[] rates = new double[responses];
        if (rows.isEmpty()) {
            return rates;
        }
        for (int j = 0; j < responses; j++) {
            int passed = 0;
            for (FunctionEvaluation row : rows) {
                if (row.usable() && j < row.cells().size()) {
                    Cell c = row.cells().get(j);
                    if (Boolean.TRUE.equals(c.value())) {
                        passed++;
                    }
                }
            }
            rates[j] = (double) passed / rows.size();
        }
        return rates;
    }
}
