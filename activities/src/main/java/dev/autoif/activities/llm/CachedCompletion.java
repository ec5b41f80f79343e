package dev.autoif.activities.llm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One cached sample: its text and finish reason, the tokens it cost (the request's prompt tokens
 * are booked on its first sample, completion tokens split across its samples, so sums are exact),
 * and who paid for it ({@code workflowId/activityId}, null outside Temporal) so that a retried
 * activity still books the samples its earlier attempts bought as spending, not as cache hits.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CachedCompletion(String content, String finishReason, long promptTokens, long completionTokens,
                               String paidBy) {

    public ChatSample sample() {
        return new ChatSample(content, finishReason);
    }
}
