package dev.autoif.activities.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * Where a campaign's artifacts live, seen from any worker: a local (or declared-shared) directory, or an
 * S3-compatible bucket prefix. Keys are relative, '/'-separated and deterministic ("items/000012-ab12.json");
 * nothing here lists keys, so correctness never depends on an object store's listing.
 *
 * <p>Every write is all-or-nothing: a reader sees the old content, the new content, or no object, never half of
 * one. That is what makes an activity that writes and then dies safe to retry on another host.
 */
public interface ArtifactStore {

    /** The root as a user would write it: a directory path or {@code s3://bucket/prefix}. */
    String location();

    /** One key's address, for messages a user reads: a file path or an {@code s3://} URI. */
    String location(String key);

    /** A store rooted at {@code prefix} under this one (a campaign's directory under the data root). */
    ArtifactStore under(String prefix);

    boolean exists(String key);

    /** The content, or empty when there is no such key. */
    Optional<byte[]> find(String key);

    /** When the key's content was last written (as the backend's clock saw it), or empty when there is no such key. */
    Optional<Instant> modified(String key);

    /** A streaming read, for objects too large to hold in memory. */
    InputStream open(String key) throws ArtifactNotFoundException;

    /** Replaces the key's content at once. */
    void write(String key, byte[] content);

    /**
     * A streaming write: nothing is visible until {@link ArtifactOutput#commit()}; closing without committing
     * discards what was written, so a failed export leaves the previous part in place, not a truncated one.
     */
    ArtifactOutput create(String key);

    default byte[] read(String key) throws ArtifactNotFoundException {
        return find(key).orElseThrow(() -> new ArtifactNotFoundException(location(key)));
    }

    default String readString(String key) throws ArtifactNotFoundException {
        return new String(read(key), StandardCharsets.UTF_8);
    }

    default Optional<String> findString(String key) {
        return find(key).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    default void writeString(String key, String content) {
        write(key, content.getBytes(StandardCharsets.UTF_8));
    }

    /** A write in progress; see {@link #create(String)}. */
    abstract class ArtifactOutput extends OutputStream {
        /** Publishes what was written; after this, {@link #close()} does nothing more. */
        public abstract void commit() throws IOException;

        /** Without a prior {@link #commit()}, discards what was written. */
        @Override
        public abstract void close() throws IOException;
    }

    /** No object at a key that must exist; the message is the key's location. */
    final class ArtifactNotFoundException extends UncheckedIOException {
        public ArtifactNotFoundException(String location) {
            super("no such artifact: " + location, new java.io.FileNotFoundException(location));
        }
    }
}
