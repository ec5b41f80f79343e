package dev.autoif.workflows.activities.sandbox;

import java.util.List;

/**
 * Every function evaluated on every input, in one throwaway container.
 *
 * @param label          identifies the batch on the container (campaign / instruction), for sweeping orphans
 * @param functions      Python sources, each defining {@code evaluate(response)}
 * @param inputs         responses to evaluate
 * @param timeoutSeconds per call
 */
public record EvaluationBatch(String campaignId, String label, List<String> functions, List<String> inputs, int timeoutSeconds) {}
