package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.store.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Durable per-sample cache of completions, so that an activity retried after a crash, or a
 * campaign re-run with the same configuration, never pays for a completion twice. Keyed by a hash
 * of everything that determines the sample; one small file per sample, written atomically as
 * soon as the endpoint answered.
 */
public final class CompletionCache {
    private final Path dir;
    private final ObjectMapper json = new ObjectMapper();

    public CompletionCache(Path dir) {
        this.dir = dir;
    }

    /** The key of sample {@code index} of {@code call}; the API key is deliberately not part of it. */
    public String key(ChatCall call, int index) {
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("endpoint", call.baseUrl().replaceAll("/+$", ""));
        identity.put("model", call.model());
        identity.put("messages", call.messages());
        identity.put("temperature", call.temperature());
        identity.put("top_p", call.topP());
        identity.put("max_tokens", call.maxTokens());
        identity.put("seed", call.seed());
        identity.put("sample", index);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json.writeValueAsBytes(identity));
            return HexFormat.of().formatHex(digest);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<ChatSample> get(String key) {
        Path file = path(key);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(Files.readString(file, StandardCharsets.UTF_8), ChatSample.class));
        } catch (IOException e) {
            // A corrupt entry is only a lost saving: the sample is requested again.
            return Optional.empty();
        }
    }

    public void put(String key, ChatSample sample) {
        try {
            AtomicFiles.write(path(key), json.writeValueAsString(sample));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path path(String key) {
        return dir.resolve(key.substring(0, 2)).resolve(key + ".json");
    }
}
