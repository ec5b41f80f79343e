package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * S6 of a whole instruction in one activity: every prompt's {@link ResponseRequest}, sent to the endpoint at once. One
 * activity for a batch instead of one per prompt costs Temporal a fraction of the history events and tasks per LLM
 * request, which is what bounds throughput at hundreds of requests in flight.
 *
 * @param storeResponsesAt where to store each prompt's responses whole (see {@link StoredResponses}); null (requests
 *                         from before it) returns them whole instead
 */
public record ResponseBatchRequest(List<ResponseRequest> prompts, SamplesDestination storeResponsesAt) {

    public ResponseBatchRequest(List<ResponseRequest> prompts) {
        this(prompts, null);
    }
}
