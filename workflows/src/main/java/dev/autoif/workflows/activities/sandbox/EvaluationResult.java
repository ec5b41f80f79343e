package dev.autoif.workflows.activities.sandbox;

import dev.autoif.workflows.crossval.FunctionEvaluation;
import java.util.List;

/** The pass matrix: one row per function of the batch, in order. */
public record EvaluationResult(List<FunctionEvaluation> rows) {}
