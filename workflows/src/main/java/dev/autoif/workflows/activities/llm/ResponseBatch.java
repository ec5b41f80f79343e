package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * One {@link Item} per prompt of the {@link ResponseBatchRequest}, in order, and what the whole batch cost (one usage
 * entry, so that the batch's retries are counted once).
 */
public record ResponseBatch(List<Item> items, List<LlmUsage> usage) {

    /** A prompt's samples, or (samples empty) the error that failed this prompt alone, e.g. a request the endpoint refuses. */
    public record Item(List<ResponseSample> samples, String error) {}
}
