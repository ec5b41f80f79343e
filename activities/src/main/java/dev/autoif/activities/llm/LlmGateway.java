package dev.autoif.activities.llm;

import dev.autoif.workflows.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import com.google.common.util.concurrent.Striped;

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
 * <p>Servers other than OpenAI's differ in ways it copes with and reports ({@link EndpointQuirks}): {@code n}
 * ignored (one request per sample, with its own seed; the seed is then checked once for reproducibility), an
 * end-of-turn marker left in the text, no {@code usage} (tokens estimated), no {@code finish_reason} (inferred), and
 * {@code response_format} rejected (under {@code auto}: remembered, plain prompts from then on).
 *
 * <p>Across workers sharing a PostgreSQL cache, a sample is claimed before it is bought ({@link CompletionCache#claims()}):
 * samples another worker is buying are awaited, not bought again, and every caller takes the stored (first) answer.
 *
 * <p>Every request passes the endpoint's {@link AdaptiveConcurrencyLimiter} (this worker's share), then the
 * {@link FleetLimiter} (the cap across every worker, fair between campaigns).
 */
public final class LlmGateway {
    static final int MAX_EMPTY_ROUNDS = 3;
    /** How often a caller looks whether samples another worker is buying have arrived (doubling up to the max). */
    static final long MIN_CLAIM_POLL_MILLIS = 20, MAX_CLAIM_POLL_MILLIS = 500;

    private final OpenAiChatClient client;
    private final CompletionCache cache;
    private final EndpointLimiters limiters;
    private final FleetLimiter fleet;
    private final LlmRequestObserver telemetry;
    /**
     * Identical calls take turns (see {@link #fetch}); distinct calls share a stripe only by chance, and with hundreds
     * in flight 256 stripes made a third of them wait for an unrelated call: 65,536, allocated as used.
     */
    private final Striped<Lock> sameCall = Striped.lazyWeakLock(1 << 16);
    private final EndpointQuirks quirks = new EndpointQuirks();

    /** What one {@link #fetch} cost: requests sent, samples from cache, samples paid for, tokens. */
    public record Usage(long requests, long cacheHits, long completions, long promptTokens, long completionTokens) {
        public Usage plus(Usage o) {
            return new Usage(requests + o.requests, cacheHits + o.cacheHits, completions + o.completions,
                    promptTokens + o.promptTokens, completionTokens + o.completionTokens);
        }
    }

    /** @param endpointNotes what the gateway has noticed about the endpoint so far ({@link EndpointQuirks}) */
    public record Result(List<ChatSample> samples, Usage usage, List<String> endpointNotes) {
        public Result(List<ChatSample> samples, Usage usage) {
            this(samples, usage, List.of());
        }
    }

    /** @param fleet the cap across workers (after this worker's own {@code limiters}) */
    public LlmGateway(OpenAiChatClient client, CompletionCache cache, EndpointLimiters limiters, FleetLimiter fleet,
                      LlmRequestObserver telemetry) {
        this.client = client;
        this.cache = cache;
        this.limiters = limiters;
        this.fleet = fleet;
        this.telemetry = telemetry;
    }

    public LlmGateway(OpenAiChatClient client, CompletionCache cache, EndpointLimiters limiters, LlmRequestObserver telemetry) {
        this(client, cache, limiters, FleetLimiter.none(), telemetry);
    }

    public LlmGateway(OpenAiChatClient client, CompletionCache cache, EndpointLimiters limiters) {
        this(client, cache, limiters, LlmRequestObserver.NONE);
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
        return fetch(call, n, payer, null);
    }

    /** @param fairnessKey whose call it is (the campaign id): campaigns get fair shares of the fleet-wide cap */
    public Result fetch(ChatCall call, int n, String payer, String fairnessKey) {
        // Identical calls running at once in this worker (two instructions whose verifiers are the same
        // source, say) take turns, so the second is answered from the cache instead of paying again.
        Lock lock = sameCall.get(cache.key(call, 0));
        lock.lock();
        try {
            return fetchUnlocked(call, n, payer, fairnessKey);
        } finally {
            lock.unlock();
        }
    }

    /** What a fetch has cost so far, and how its samples were obtained. */
    private static final class Bill {
        final String payer;
        long requests, hits, paid, promptTokens, completionTokens;
        boolean someFromCache;

        Bill(String payer) {
            this.payer = payer;
        }

        /** A sample found in the cache: bought by an earlier attempt of this payer (spending), or a hit. */
        ChatSample take(CachedCompletion cached) {
            someFromCache = true;
            if (payer != null && payer.equals(cached.paidBy())) {
                paid++;
                promptTokens += cached.promptTokens();
                completionTokens += cached.completionTokens();
            } else {
                hits++;
            }
            return cached.sample();
        }

        Usage usage() {
            return new Usage(requests, hits, paid, promptTokens, completionTokens);
        }

        /** Adds what {@code other} (a part of the same fetch) cost. */
        void add(Bill other) {
            requests += other.requests;
            hits += other.hits;
            paid += other.paid;
            promptTokens += other.promptTokens;
            completionTokens += other.completionTokens;
            someFromCache |= other.someFromCache;
        }
    }

    private Result fetchUnlocked(ChatCall call, int n, String payer, String fairnessKey) {
        ChatSample[] samples = new ChatSample[n];
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys.add(cache.key(call, i));
        }
        Bill bill = new Bill(payer);
        takeCached(keys, samples, bill);
        int emptyRounds = 0;
        long waitMillis = MIN_CLAIM_POLL_MILLIS;
        EndpointQuirks.Traits traits = quirks.of(call);
        try (CompletionCache.Claims claims = cache.claims()) {
            while (true) {
                List<Integer> missing = missing(samples);
                if (missing.isEmpty()) {
                    noteIdenticalSamples(call, samples, bill.someFromCache, n);
                    return new Result(Arrays.asList(samples), bill.usage(), quirks.notes(call));
                }
                // Claim what is missing, then look again: another worker may have stored a sample meanwhile.
                Set<String> held = claims.acquire(missing.stream().map(keys::get).toList());
                takeCached(keys, samples, bill);
                List<Integer> mine = missing(samples).stream().filter(i -> held.contains(keys.get(i))).toList();
                if (mine.isEmpty()) {
                    if (!missing(samples).isEmpty()) {
                        // Being bought by another worker: wait for its answer (or for its lease to run out).
                        sleep(waitMillis, call);
                        waitMillis = Math.min(MAX_CLAIM_POLL_MILLIS, waitMillis * 2);
                    }
                    continue;
                }
                waitMillis = MIN_CLAIM_POLL_MILLIS;
                int used = Boolean.TRUE.equals(traits.ignoresN) && mine.size() > 1
                        ? buyEachAlone(call, mine, keys, samples, bill, traits, claims, fairnessKey)
                        : buy(call, mine, keys, samples, bill, traits, claims, fairnessKey);
                if (used < 0) {
                    continue;
                }
                if (used == 0 && ++emptyRounds >= MAX_EMPTY_ROUNDS) {
                    throw ApplicationFailure.newFailure("LLM endpoint " + call.baseUrl() + " returned no choices "
                            + MAX_EMPTY_ROUNDS + " times in a row for model '" + call.model() + "' ("
                            + (n - missing(samples).size()) + " of " + n + " samples obtained, kept in the cache)",
                            FailureTypes.LLM_UNAVAILABLE);
                }
                if (used > 0) {
                    emptyRounds = 0;
                }
            }
        }
    }

    private static List<Integer> missing(ChatSample[] samples) {
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < samples.length; i++) {
            if (samples[i] == null) {
                missing.add(i);
            }
        }
        return missing;
    }

    /** Fills every missing sample the cache has. */
    private void takeCached(List<String> keys, ChatSample[] samples, Bill bill) {
        List<Integer> missing = missing(samples);
        if (missing.isEmpty()) {
            return;
        }
        Map<String, CachedCompletion> found = cache.getAll(missing.stream().map(keys::get).toList());
        for (int i : missing) {
            CachedCompletion cached = found.get(keys.get(i));
            if (cached != null) {
                samples[i] = bill.take(cached);
            }
        }
    }

    private static void sleep(long millis, ChatCall call) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted while another worker bought samples from " + call.baseUrl(),
                    FailureTypes.LLM_UNAVAILABLE);
        }
    }

    /**
     * One request for the samples {@code mine} (claimed by this caller), each stored as soon as it arrives; the
     * stored entry (the first writer's) becomes the sample. Returns how many samples the answer filled.
     */
    private int buy(ChatCall call, List<Integer> mine, List<String> keys, ChatSample[] samples, Bill bill,
                    EndpointQuirks.Traits traits, CompletionCache.Claims claims, String fairnessKey) {
        ChatCall round = structured(call.withSeed(call.seed() + mine.get(0)), traits);
        ChatResponse response;
        try {
            response = limited(round, mine.size(), fairnessKey);
        } catch (ApplicationFailure f) {
            if (!rejectsResponseFormat(round, traits, f)) {
                throw f;
            }
            bill.requests++;
            if (ChatCall.ResponseSchema.JSON_SCHEMA.equals(round.schema().dialect())) {
                traits.structuredOutput = ChatCall.ResponseSchema.JSON_OBJECT; // the other dialect next
            } else if (round.schema().fallback()) {
                traits.structuredOutput = EndpointQuirks.NO_STRUCTURED_OUTPUT;
                quirks.note(call, "rejects response_format (both dialects): structured output is off for it, plain "
                        + "prompts are sent");
            } else {
                throw ApplicationFailure.newNonRetryableFailure("LLM endpoint " + call.baseUrl() + " rejects "
                        + "response_format in both dialects (json_schema, json_object + schema), and structuredOutput "
                        + "is json_schema: set it to auto or off. Last answer: " + f.getOriginalMessage(),
                        FailureTypes.LLM_BAD_REQUEST);
            }
            return -1; // not an empty answer: the next round asks again in another dialect or without the schema
        }
        bill.requests++;
        if (round.schema() != null) {
            traits.structuredOutput = round.schema().dialect();
            traits.structuredOutputConfirmed = true;
            if (ChatCall.ResponseSchema.JSON_OBJECT.equals(round.schema().dialect())) {
                quirks.note(call, "takes structured output only as response_format {\"type\": \"json_object\", "
                        + "\"schema\": ...} (llama-cpp-python's dialect), not OpenAI's json_schema: that one is sent");
            }
        }
        List<ChatSample> got = normalized(call, response.choices(), response);
        long promptCost = response.promptTokens(), completionCost = response.completionTokens();
        if (!response.usageReported()) {
            quirks.note(call, "reports no usage: its token counts are estimated (4 characters a token)");
            promptCost = call.messages().stream().mapToLong(m -> EndpointQuirks.estimateTokens(m.content())).sum();
            completionCost = got.stream().mapToLong(c -> EndpointQuirks.estimateTokens(c.content())).sum();
        }
        bill.promptTokens += promptCost;
        bill.completionTokens += completionCost;
        int used = Math.min(got.size(), mine.size());
        for (int j = 0; j < used; j++) {
            int index = mine.get(j);
            long share = got.isEmpty() ? 0 : completionCost / got.size();
            long completion = j == 0 ? completionCost - share * (got.size() - 1) : share;
            CachedCompletion bought = new CachedCompletion(got.get(j).content(), got.get(j).finishReason(),
                    j == 0 ? promptCost : 0, completion, bill.payer);
            // Paid for either way; but if another worker stored this sample first, its answer is the one kept.
            samples[index] = cache.store(keys.get(index), bought, claims).sample();
            bill.paid++;
        }
        if (mine.size() >= 2 && !got.isEmpty() && traits.ignoresN == null) {
            traits.ignoresN = got.size() == 1;
            if (traits.ignoresN) {
                quirks.note(call, "ignores n (one choice per request): each sample takes its own request with its "
                        + "own seed (the funnel's LLM usage counts the requests)");
                ChatResponse again = checkSeedReproducible(round, got.get(0), traits, fairnessKey);
                if (again != null) {
                    bill.requests++;
                    bill.promptTokens += again.promptTokens();
                    bill.completionTokens += again.completionTokens();
                }
            }
        }
        return used;
    }

    /**
     * An endpoint that ignores {@code n}: each of the samples {@code mine} in its own request (with its own seed, as
     * {@link #buy} gives it), all at once rather than one after another, so that K samples take one latency, not K.
     * Returns how many samples were filled, or -1 when a request must be asked again (see {@link #buy}); a failure is
     * rethrown once every request has ended, the answers that came being cached.
     */
    private int buyEachAlone(ChatCall call, List<Integer> mine, List<String> keys, ChatSample[] samples, Bill bill,
                             EndpointQuirks.Traits traits, CompletionCache.Claims claims, String fairnessKey) {
        List<Bill> bills = new ArrayList<>();
        List<java.util.function.Supplier<Integer>> requests = new ArrayList<>();
        for (int index : mine) {
            Bill own = new Bill(bill.payer);
            bills.add(own);
            requests.add(() -> buy(call, List.of(index), keys, samples, own, traits, claims, fairnessKey));
        }
        List<ConcurrentCalls.Outcome<Integer>> outcomes = ConcurrentCalls.allAtOnce(requests);
        bills.forEach(bill::add);
        int filled = 0;
        boolean askAgain = false;
        for (ConcurrentCalls.Outcome<Integer> outcome : outcomes) {
            if (outcome.failure() != null) {
                throw ConcurrentCalls.rethrown(outcome.failure());
            }
            askAgain |= outcome.value() < 0;
            filled += Math.max(0, outcome.value());
        }
        return askAgain && filled == 0 ? -1 : filled;
    }

    /** {@code call} with its schema in the dialect the endpoint takes, or without it when it takes none. */
    private static ChatCall structured(ChatCall call, EndpointQuirks.Traits traits) {
        String known = traits.structuredOutput;
        if (call.schema() == null || known == null) {
            return call;
        }
        if (EndpointQuirks.NO_STRUCTURED_OUTPUT.equals(known)) { // json_schema mode still tries the last dialect
            return call.schema().fallback() ? call.withoutSchema()
                    : call.withSchema(call.schema().inDialect(ChatCall.ResponseSchema.JSON_OBJECT));
        }
        return call.withSchema(call.schema().inDialect(known));
    }

    /**
     * Whether {@code f} is the endpoint refusing a response_format it was never seen to accept: a 400/422, or any failure
     * whose message names response_format (llama-cpp-python answers a validation error with 500).
     */
    private static boolean rejectsResponseFormat(ChatCall round, EndpointQuirks.Traits traits, ApplicationFailure f) {
        if (round.schema() == null
                || traits.structuredOutputConfirmed && round.schema().dialect().equals(traits.structuredOutput)) {
            return false; // the endpoint takes this dialect: the failure is about something else
        }
        String message = f.getOriginalMessage() == null ? "" : f.getOriginalMessage();
        return FailureTypes.LLM_BAD_REQUEST.equals(f.getType()) || message.contains("response_format");
    }

    /**
     * Choices as the product expects them: without an end-of-turn marker left at the end of the text, and with a
     * finish reason (inferred from the token count when the endpoint gave none).
     */
    private List<ChatSample> normalized(ChatCall call, List<ChatSample> choices, ChatResponse response) {
        List<ChatSample> out = new ArrayList<>();
        for (ChatSample c : choices) {
            String text = EndpointQuirks.withoutEndMarker(c.content());
            if (!text.equals(c.content())) {
                quirks.note(call, "leaves the end-of-turn marker in the text: it is removed");
            }
            String finish = c.finishReason();
            if (finish == null) {
                quirks.note(call, "gives no finish_reason: it is inferred (\"length\" when the completion's tokens reach "
                        + "maxTokens, else \"stop\")");
                long tokens = response.usageReported() && choices.size() == 1 ? response.completionTokens()
                        : EndpointQuirks.estimateTokens(text);
                finish = call.maxTokens() != null && tokens >= call.maxTokens() ? "length" : "stop";
            }
            out.add(new ChatSample(text, finish));
        }
        return out;
    }

    /**
     * An endpoint that ignores {@code n} is asked once more for the first sample, same seed: if the text differs, its
     * seeds do not reproduce samples, and the dataset must not claim they do. Costs one request per endpoint and
     * worker (its tokens are booked; its text is not a sample). Returns its response, or null when none was sent.
     */
    private ChatResponse checkSeedReproducible(ChatCall round, ChatSample first, EndpointQuirks.Traits traits,
                                               String fairnessKey) {
        if (round.temperature() != null && round.temperature() == 0) {
            return null; // greedy: the same text whatever the seed, so nothing to learn
        }
        ChatResponse response = limited(round, 1, fairnessKey);
        List<ChatSample> again = normalized(round, response.choices(), response);
        traits.seedsReproducible = !again.isEmpty() && again.get(0).content().equals(first.content());
        if (!traits.seedsReproducible) {
            quirks.note(round, "does not honour seed: the same request with the same seed gave a different text, so "
                    + "sampling again does not reproduce these samples (only the completion cache does)");
        }
        return response;
    }

    /** K > 1 samples bought with distinct seeds at a non-zero temperature that are all the same text. */
    private void noteIdenticalSamples(ChatCall call, ChatSample[] samples, boolean fromCache, int n) {
        if (fromCache || n < 2 || call.temperature() != null && call.temperature() == 0) {
            return;
        }
        String first = samples[0].content();
        if (first.isBlank() || first.length() < 20) {
            return; // short answers (a score, a label) may well coincide
        }
        for (ChatSample s : samples) {
            if (!s.content().equals(first)) {
                return;
            }
        }
        quirks.note(call, "gave the same text for " + n + " samples with distinct seeds: it appears to ignore seed and "
                + "temperature (transformers serve samples only with do_sample on), so these samples are not diverse");
    }

    /**
     * One request through the endpoint's concurrency limiter (telling it how the request ended) and the fleet-wide
     * cap.
     */
    private ChatResponse limited(ChatCall call, int n, String fairnessKey) {
        AdaptiveConcurrencyLimiter limiter = limiters.forEndpoint(call.baseUrl());
        AdaptiveConcurrencyLimiter.Permit permit;
        FleetLimiter.Permit fleetPermit;
        try {
            permit = limiter.acquire();
            try {
                fleetPermit = fleet.acquire(call.baseUrl().replaceAll("/+$", ""), fairnessKey);
            } catch (InterruptedException | RuntimeException e) {
                permit.failed();
                throw e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted while waiting for a request slot to " + call.baseUrl(),
                    FailureTypes.LLM_UNAVAILABLE);
        }
        permit.sending();
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
        } finally {
            fleetPermit.close();
        }
    }

}
