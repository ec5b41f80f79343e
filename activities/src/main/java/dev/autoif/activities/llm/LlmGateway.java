package dev.autoif.activities.llm;

import dev.autoif.workflows.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Gets exactly {@code n} samples for a call, as cheaply as the cache allows.
 *
 * <p>Sample i is cached under its own key. Missing samples are requested together with
 * {@code n = missing} and {@code seed = call.seed + first missing index}; a backend that returns
 * fewer choices (llama.cpp rejects n > 1, some servers ignore n) is topped up with further
 * requests. Each answer is cached before anything else happens, so a crash right after the call
 * loses nothing that was paid for.
 */
public final class LlmGateway {
    private static final int MAX_EMPTY_ROUNDS = 3;

    private final OpenAiChatClient client;
    private final CompletionCache cache;

    public LlmGateway(OpenAiChatClient client, CompletionCache cache) {
        this.client = client;
        this.cache = cache;
    }

    public List<ChatSample> samples(ChatCall call, int n) {
        ChatSample[] samples = new ChatSample[n];
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            keys[i] = cache.key(call, i);
            samples[i] = cache.get(keys[i]).orElse(null);
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
                return Arrays.asList(samples);
            }
            ChatCall round = withSeed(call, call.seed() + missing.get(0));
            List<ChatSample> got = client.complete(round, missing.size()).choices();
            int used = Math.min(got.size(), missing.size());
            for (int j = 0; j < used; j++) {
                int index = missing.get(j);
                samples[index] = got.get(j);
                cache.put(keys[index], got.get(j));
            }
            if (used == 0 && ++emptyRounds >= MAX_EMPTY_ROUNDS) {
                throw ApplicationFailure.newFailure("LLM endpoint " + call.baseUrl() + " returned no choices "
                        + MAX_EMPTY_ROUNDS + " times in a row for model '" + call.model() + "'", FailureTypes.LLM_UNAVAILABLE);
            }
        }
    }

    private static ChatCall withSeed(ChatCall c, long seed) {
        return new ChatCall(c.baseUrl(), c.apiKey(), c.model(), c.messages(), c.temperature(), c.topP(), c.maxTokens(), seed);
    }
}
