package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Durable per-sample cache of completions, so that an activity retried after a crash, or a
 * campaign re-run with the same configuration, never pays for a completion twice. Keyed by a hash
 * of everything that determines the sample. {@link DiskCompletionCache} serves one machine
 * (embedded mode); {@link JdbcCompletionCache} (PostgreSQL) is shared by every worker of a
 * deployment.
 */
public interface CompletionCache extends AutoCloseable {

    Optional<CachedCompletion> get(String key);

    /** Stores {@code entry} as soon as the endpoint answered; an existing entry for the key is kept. */
    void put(String key, CachedCompletion entry);

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
