package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.artifacts.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The cache as one small JSON file per sample, written atomically: for one machine (embedded mode). */
public final class DiskCompletionCache implements CompletionCache {
    private final Path dir;
    private final ObjectMapper json = new ObjectMapper();

    public DiskCompletionCache(Path dir) {
        this.dir = dir;
    }

    @Override
    public Optional<CachedCompletion> get(String key) {
        Path file = path(key);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(Files.readString(file, StandardCharsets.UTF_8), CachedCompletion.class));
        } catch (IOException e) {
            // A corrupt entry is only a lost saving: the sample is requested again.
            return Optional.empty();
        }
    }

    @Override
    public void put(String key, CachedCompletion entry) {
        try {
            AtomicFiles.write(path(key), json.writeValueAsString(entry));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String description() {
        return "directory " + dir.toAbsolutePath();
    }

    private Path path(String key) {
        return dir.resolve(key.substring(0, 2)).resolve(key + ".json");
    }
}
