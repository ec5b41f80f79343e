package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Durable per-sample cache of completions, so that an activity retried after a crash, or a
 * campaign re-run with the same configuration, never pays for a completion twice. Keyed by a hash
 * of everything that determines the sample. {@link DiskCompletionCache} serves one machine
 * (embedded mode); {@link JdbcCompletionCache} (PostgreSQL) is shared by every worker of a
 * deployment, and there a sample is also <em>claimed</em> before it is bought, so that two workers never buy it both
 * ({@link #claims()}).
 */
public interface CompletionCache extends AutoCloseable {

    Optional<CachedCompletion> get(String key);

    /** Stores {@code entry} as soon as the endpoint answered; an existing entry for the key is kept. */
    void put(String key, CachedCompletion entry);

    /** The entries of those of {@code keys} that are cached. */
    default Map<String, CachedCompletion> getAll(Collection<String> keys) {
        Map<String, CachedCompletion> found = new HashMap<>();
        for (String key : keys) {
            get(key).ifPresent(e -> found.put(key, e));
        }
        return found;
    }

    /**
     * Stores {@code entry} unless the key has one and returns the entry stored for the key: the first writer's, which
     * every caller then uses, so that all of them (and every re-run) see the same sample. Also ends {@code claims}'
     * claim on the key. The disk cache (one host, where the gateway's in-process lock already excludes a second
     * buyer) simply writes.
     */
    default CachedCompletion store(String key, CachedCompletion entry, Claims claims) {
        put(key, entry);
        return entry;
    }

    /**
     * The right to buy samples, held until closed. A cache shared by several workers excludes all but one buyer per
     * sample; a single-host cache grants everything (see {@link #ALL_GRANTED}).
     */
    default Claims claims() {
        return ALL_GRANTED;
    }

    /** One caller's claims on samples it means to buy; {@link #close()} gives back those it did not store. */
    interface Claims extends AutoCloseable {
        /**
         * Claims every key of {@code keys} that no other live claimant holds (taking over claims whose lease
         * expired) and returns those of {@code keys} this caller now holds; the others are being bought elsewhere.
         */
        Set<String> acquire(List<String> keys);

        @Override
        void close();
    }

    /** Claims of a cache without other buyers: every key is granted. */
    Claims ALL_GRANTED = new Claims() {
        @Override
        public Set<String> acquire(List<String> keys) {
            return new LinkedHashSet<>(keys);
        }

        @Override
        public void close() {}
    };

    /** Where the cache lives, for logs (never a password). */
    String description();

    @Override
    default void close() {}

    /** The key of sample {@code index} of {@code call}; the API key is deliberately not part of it. */
    default String key(ChatCall call, int index) {
        return keyOf(call, index);
    }

    static String keyOf(ChatCall call, int index) {
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("endpoint", call.baseUrl().replaceAll("/+$", ""));
        identity.put("model", call.model());
        identity.put("messages", call.messages());
        identity.put("temperature", call.temperature());
        identity.put("top_p", call.topP());
        identity.put("max_tokens", call.maxTokens());
        identity.put("seed", call.seed());
        identity.put("sample", index);
        if (call.schema() != null) { // absent for plain calls, so their keys are those of before structured output
            identity.put("response_format", call.schema().name() + ":" + call.schema().schemaJson());
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Keys.JSON.writeValueAsBytes(identity));
            return HexFormat.of().formatHex(digest);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Holder of the key serializer (interfaces cannot have private static fields). */
    final class Keys {
        static final ObjectMapper JSON = new ObjectMapper();

        private Keys() {}
    }
}
