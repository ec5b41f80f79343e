package dev.autoif.activities.llm;

import java.util.function.Supplier;

/** Observes each HTTP request the gateway sends (the worker's telemetry: metrics and a span per request). */
public interface LlmRequestObserver {
    /** Observes nothing. */
    LlmRequestObserver NONE = (call, limiter, samples, request) -> request.get();

    /** Runs {@code request}, one HTTP request of {@code samples} completions for {@code call}, and returns its response. */
    ChatResponse llmRequest(ChatCall call, AdaptiveConcurrencyLimiter limiter, int samples, Supplier<ChatResponse> request);
}
