package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * One {@link Item} per prompt of the {@link ResponseBatchRequest}, in order, and what the whole batch cost (one usage
 * entry, so that the batch's retries are counted once).
 *
 * @param responsesStored true when the activity stored every answered prompt's responses at the request's
 *                        {@link ResponseBatchRequest#storeResponsesAt} and returns them as digests, without their text;
 *                        false from a worker that predates it (mid-deploy), whose responses come back whole
 */
public record ResponseBatch(List<Item> items, List<LlmUsage> usage, boolean responsesStored) {

    public ResponseBatch(List<Item> items, List<LlmUsage> usage) {
        this(items, usage, false);
    }

    /** A prompt's samples, or (samples empty) the error that failed this prompt alone, e.g. a request the endpoint refuses. */
    public record Item(List<ResponseSample> samples, String error) {}
}
