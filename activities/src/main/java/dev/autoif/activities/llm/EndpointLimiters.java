package dev.autoif.activities.llm;

import java.util.concurrent.ConcurrentHashMap;

/** One {@link AdaptiveConcurrencyLimiter} per endpoint (base URL), created on first use. */
public final class EndpointLimiters {
    private final AdaptiveConcurrencyLimiter.Settings settings;
    private final ConcurrentHashMap<String, AdaptiveConcurrencyLimiter> byEndpoint = new ConcurrentHashMap<>();

    public EndpointLimiters(AdaptiveConcurrencyLimiter.Settings settings) {
        this.settings = settings;
    }

    /** Effectively unlimited: for tools and tests that do not exercise throughput control. */
    public static EndpointLimiters unlimited() {
        return new EndpointLimiters(AdaptiveConcurrencyLimiter.Settings.of(1024, 1024));
    }

    /** The limiter of every endpoint called so far, by base URL. */
    public java.util.Map<String, AdaptiveConcurrencyLimiter> all() {
        return java.util.Map.copyOf(byEndpoint);
    }

    public AdaptiveConcurrencyLimiter forEndpoint(String baseUrl) {
        return byEndpoint.computeIfAbsent(baseUrl.replaceAll("/+$", ""), k -> new AdaptiveConcurrencyLimiter(settings));
    }
}
