package dev.autoif.activities.llm;

import dev.autoif.workflows.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.Lock;
import com.google.common.util.concurrent.Striped;
import dev.autoif.activities.telemetry.Telemetry;

/**
 * Gets exactly {@code n} samples for a call, as cheaply as the cache allows, and says what they
 * cost.
 *
 * <p>Sample i is cached under its own key. Missing samples are requested together with
 * {@code n = missing} and {@code seed = call.seed + first missing index}; a backend that returns
 * fewer choices (llama.cpp rejects n > 1, some servers ignore n) is topped up with further
 * requests; one that returns none {@link #MAX_EMPTY_ROUNDS} times in a row fails the call with a
 * message saying so (never fewer samples than asked, silently). Each answer is cached before
 * anything else happens, so a crash right after the call loses nothing that was paid for.
 *
 * <p>Every request passes the endpoint's {@link AdaptiveConcurrencyLimiter}.
 */
public final class LlmGateway {
    static final int MAX_EMPTY_ROUNDS = 3;

    private final OpenAiChatClient client;
    private final CompletionCache cache;
    private final EndpointLimiters limiters;
    private final Telemetry telemetry;
    private final Striped<Lock> sameCall = Striped.lock(256);

    /** What one {@link #fetch} cost: requests sent, samples from cache, samples paid for, tokens. */
    public record Usage(long requests, long cacheHits, long completions, long promptTokens, long completionTokens) {
        public Usage plus(Usage o) {
            return new Usage(requests + o.requests, cacheHits + o.cacheHits, completions + o.completions,
                    promptTokens + o.promptTokens, completionTokens + o.completionTokens);
        }
    }

    public record Result(List<ChatSample> samples, Usage usage) {}

    public LlmGateway(OpenAiChatClient client, CompletionCache cache, EndpointLimiters limiters, Telemetry telemetry) {
        this.client = client;
        this.cache = cache;
        this.limiters = limiters;
        this.telemetry = telemetry;
    }

    public LlmGateway(OpenAiChatClient client, CompletionCache cache, EndpointLimiters limiters) {
        this(client, cache, limiters, Telemetry.none());
    }

    public LlmGateway(OpenAiChatClient client, CompletionCache cache) {
        this(client, cache, EndpointLimiters.unlimited());
    }

    public List<ChatSample> samples(ChatCall call, int n) {
        return fetch(call, n, null).samples();
    }

    /**
     * @param payer who pays for new samples ({@code workflowId/activityId}); samples an earlier attempt of the same
     *              payer bought count as spending, not as cache hits. Null outside Temporal.
     */
    public Result fetch(ChatCall call, int n, String payer) {
        // Identical calls running at once in this worker (two instructions whose verifiers are the same
        // source, say) take turns, so the second is answered from the cache instead of paying again.
        Lock lock = sameCall.get(cache.key(call, 0));
        lock.lock();
        try {
            return fetchUnlocked(call, n, payer);
        } finally {
            lock.unlock();
        }
    }

    private Result fetchUnlocked(ChatCall call, int n, String payer) {
        ChatSample[] samples = new ChatSample[n];
        String[] keys = new String[n];
        long requests = 0, hits = 0, paid = 0, promptTokens = 0, completionTokens = 0;
        for (int i = 0; i < n; i++) {
            keys[i] = cache.key(call, i);
            CachedCompletion cached = cache.get(keys[i]).orElse(null);
            if (cached != null) {
                samples[i] = cached.sample();
                if (payer != null && payer.equals(cached.paidBy())) {
                    paid++;
                    promptTokens += cached.promptTokens();
                    completionTokens += cached.completionTokens();
                } else {
                    hits++;
                }
            }
        }
        int emptyRounds = 0;
        while (true) {
            List<Integer> missing = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (samples[i] == null) {
                    missing.add(i);
                }
            }
            if (missing.isEmpty()) {
                return new Result(Arrays.asList(samples), new Usage(requests, hits, paid, promptTokens, completionTokens));
            }
            ChatCall round = withSeed(call, call.seed() + missing.get(0));
            ChatResponse response = limited(round, missing.size());
            requests++;
            List<ChatSample> got = response.choices();
            promptTokens += response.promptTokens();
            completionTokens += response.completionTokens();
            int used = Math.min(got.size(), missing.size());
            for (int j = 0; j < used; j++) {
                int index = missing.get(j);
                samples[index] = got.get(j);
                long share = got.isEmpty() ? 0 : response.completionTokens() / got.size();
                long completion = j == 0 ? response.completionTokens() - share * (got.size() - 1) : share;
                cache.put(keys[index], new CachedCompletion(got.get(j).content(), got.get(j).finishReason(),
                        j == 0 ? response.promptTokens() : 0, completion, payer));
                paid++;
            }
            if (used == 0 && ++emptyRounds >= MAX_EMPTY_ROUNDS) {
                throw ApplicationFailure.newFailure("LLM endpoint " + call.baseUrl() + " returned no choices "
                        + MAX_EMPTY_ROUNDS + " times in a row for model '" + call.model() + "' (" + (n - missing.size())
                        + " of " + n + " samples obtained, kept in the cache)", FailureTypes.LLM_UNAVAILABLE);
            }
            if (used > 0) {
                emptyRounds = 0;
            }
        }
    }

    /** One request through the endpoint's concurrency limiter, telling it how the request ended. */
    private ChatResponse limited(ChatCall call, int n) {
        AdaptiveConcurrencyLimiter limiter = limiters.forEndpoint(call.baseUrl());
        AdaptiveConcurrencyLimiter.Permit permit;
        try {
            permit = limiter.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted while waiting for a request slot to " + call.baseUrl(),
                    FailureTypes.LLM_UNAVAILABLE);
        }
        try {
            ChatResponse response = telemetry.llmRequest(call, limiter, n, () -> client.complete(call, n));
            permit.success(response.completionTokens() > 0 ? response.completionTokens() : n);
            return response;
        } catch (ApplicationFailure f) {
            if (FailureTypes.LLM_RATE_LIMITED.equals(f.getType())) {
                permit.throttled();
            } else {
                permit.failed();
            }
            throw f;
        } catch (RuntimeException e) {
            permit.failed();
            throw e;
        }
    }

    private static ChatCall withSeed(ChatCall c, long seed) {
        return new ChatCall(c.baseUrl(), c.apiKey(), c.model(), c.messages(), c.temperature(), c.topP(), c.maxTokens(), seed);
    }
}
