package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * The judge's samples for one response: the parsed scores (0..10), every analysis as written (kept for inspection),
 * and why a sample gave no score.
 */
public record JudgeVerdict(List<Double> scores, List<String> analyses, List<String> parseErrors) {
    public double mean() {
        return scores.isEmpty() ? Double.NaN : scores.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
