package dev.autoif.activities.artifacts;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store that lives in no file system: objects in one shared map, keyed by their full location
 * ({@code mem://bucket/campaigns/c/items/x.json}). Tests register it for "mem://" so that an activity that still read a
 * local path would find nothing there; it passes {@link ArtifactStoreContract} like any backend.
 */
public final class MemoryArtifactStore implements ArtifactStore {
    private final String location;
    private final Map<String, byte[]> objects;
    /** When each object was last written, keyed like {@link #objects}. */
    private final Map<String, Instant> modified;

    public MemoryArtifactStore(String location, Map<String, byte[]> objects) {
        this(location, objects, new ConcurrentHashMap<>());
    }

    private MemoryArtifactStore(String location, Map<String, byte[]> objects, Map<String, Instant> modified) {
        this.location = location.endsWith("/") ? location.substring(0, location.length() - 1) : location;
        this.objects = objects;
        this.modified = modified;
    }

    /** Stores for "mem://..." locations, all over the same objects. */
    public static ArtifactStores stores(Map<String, byte[]> objects) {
        Map<String, Instant> modified = new ConcurrentHashMap<>();
        return new ArtifactStores(Map.of("mem", location -> new MemoryArtifactStore(location, objects, modified)));
    }

    public static Map<String, byte[]> newObjects() {
        return new ConcurrentHashMap<>();
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public String location(String key) {
        if (key.startsWith("/") || key.contains("..")) {
            throw new IllegalArgumentException("artifact key '" + key + "' leaves the store root " + location);
        }
        return location + "/" + key;
    }

    @Override
    public ArtifactStore under(String prefix) {
        return new MemoryArtifactStore(location(prefix), objects, modified);
    }

    @Override
    public boolean exists(String key) {
        return objects.containsKey(location(key));
    }

    @Override
    public Optional<byte[]> find(String key) {
        return Optional.ofNullable(objects.get(location(key))).map(byte[]::clone);
    }

    @Override
    public Optional<Instant> modified(String key) {
        return exists(key) ? Optional.ofNullable(modified.get(location(key))) : Optional.empty();
    }

    @Override
    public InputStream open(String key) {
        return new ByteArrayInputStream(find(key).orElseThrow(() -> new ArtifactNotFoundException(location(key))));
    }

    @Override
    public void write(String key, byte[] content) {
        put(location(key), content.clone());
    }

    @Override
    public ArtifactOutput create(String key) {
        String target = location(key);
        return new ArtifactOutput() {
            private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            private boolean done;

            @Override
            public void write(int b) {
                buffer.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                buffer.write(b, off, len);
            }

            @Override
            public void commit() {
                if (!done) {
                    put(target, buffer.toByteArray());
                    done = true;
                }
            }

            @Override
            public void close() {
                done = true;
            }
        };
    }

    private void put(String target, byte[] content) {
        modified.put(target, Instant.now());
        objects.put(target, content);
    }
}
