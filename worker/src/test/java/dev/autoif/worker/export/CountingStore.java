package dev.autoif.worker.export;

import dev.autoif.activities.artifacts.ArtifactStore;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store in front of another that counts the writes committed to each key, and can fail the commit of one key (after
 * a pause, so that the SDK's throttled heartbeat reaches the server first): an export that dies mid-way.
 */
final class CountingStore implements ArtifactStore {
    private final ArtifactStore delegate;
    private final Map<String, Integer> commits;
    private final String failingKey;
    private final Duration pauseBeforeFailing;

    /** @param failingKey the key whose commit fails, or null */
    CountingStore(ArtifactStore delegate, String failingKey, Duration pauseBeforeFailing) {
        this(delegate, new ConcurrentHashMap<>(), failingKey, pauseBeforeFailing);
    }

    private CountingStore(ArtifactStore delegate, Map<String, Integer> commits, String failingKey, Duration pauseBeforeFailing) {
        this.delegate = delegate;
        this.commits = commits;
        this.failingKey = failingKey;
        this.pauseBeforeFailing = pauseBeforeFailing;
    }

    /** How many times {@code key}'s content was written. */
    int commits(String key) {
        return commits.getOrDefault(key, 0);
    }

    private void committing(String key) throws IOException {
        if (key.equals(failingKey)) {
            try {
                Thread.sleep(pauseBeforeFailing);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("injected: the store failed to commit " + key);
        }
        commits.merge(key, 1, Integer::sum);
    }

    @Override
    public String location() {
        return delegate.location();
    }

    @Override
    public String location(String key) {
        return delegate.location(key);
    }

    @Override
    public ArtifactStore under(String prefix) {
        return new CountingStore(delegate.under(prefix), commits, failingKey, pauseBeforeFailing);
    }

    @Override
    public boolean exists(String key) {
        return delegate.exists(key);
    }

    @Override
    public Optional<byte[]> find(String key) {
        return delegate.find(key);
    }

    @Override
    public Optional<Instant> modified(String key) {
        return delegate.modified(key);
    }

    @Override
    public InputStream open(String key) {
        return delegate.open(key);
    }

    @Override
    public void write(String key, byte[] content) {
        commits.merge(key, 1, Integer::sum);
        delegate.write(key, content);
    }

    @Override
    public ArtifactOutput create(String key) {
        ArtifactOutput out = delegate.create(key);
        return new ArtifactOutput() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void commit() throws IOException {
                committing(key);
                out.commit();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }
}
