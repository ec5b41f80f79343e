package dev.autoif.activities.artifacts;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * Opens a store from a location string: {@code s3://bucket/prefix} goes to the backend registered for "s3",
 * anything else is a filesystem path. Campaign records carry locations, not store objects, so any worker can
 * open the same campaign.
 */
public final class ArtifactStores {
    private final Map<String, Function<String, ArtifactStore>> byScheme;

    /** @param byScheme URI scheme ("s3") to a factory taking the whole location string */
    public ArtifactStores(Map<String, Function<String, ArtifactStore>> byScheme) {
        this.byScheme = Map.copyOf(byScheme);
    }

    /** Filesystem locations only. */
    public static ArtifactStores filesystemOnly() {
        return new ArtifactStores(Map.of());
    }

    public ArtifactStore open(String location) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("no artifact store location given");
        }
        String scheme = scheme(location);
        if (scheme == null || scheme.equals("file")) {
            return new FileSystemArtifactStore(scheme == null ? Path.of(location) : Path.of(java.net.URI.create(location)));
        }
        Function<String, ArtifactStore> factory = byScheme.get(scheme);
        if (factory == null) {
            throw new IllegalArgumentException("artifact store '" + location + "': no backend for '" + scheme
                    + "://' in this worker (known: file paths" + (byScheme.isEmpty() ? "" : ", " + String.join(", ", byScheme.keySet().stream().map(s -> s + "://").toList())) + ")");
        }
        return factory.apply(location);
    }

    /**
     * One object named by its full location, as campaign inputs are referenced ("s3://bucket/prefix/inputs/x.jsonl",
     * "/data/seeds.jsonl", "seeds.jsonl"): its parent opened as a store, its last segment as the key.
     */
    public StoredObject object(String location) {
        if (location == null || location.isBlank() || location.endsWith("/")) {
            throw new IllegalArgumentException("'" + location + "' does not name a file or an object");
        }
        int slash = location.lastIndexOf('/');
        String parent = slash < 0 ? "." : slash == 0 ? "/" : location.substring(0, slash);
        if (scheme(location) != null && slash < location.indexOf("://") + 3 + 1) {
            throw new IllegalArgumentException("'" + location + "' names a bucket, not an object in it");
        }
        return new StoredObject(open(parent), location.substring(slash + 1));
    }

    /** An object and the store that holds it; see {@link #object(String)}. */
    public record StoredObject(ArtifactStore store, String key) {
        public String location() {
            return store.location(key);
        }
    }

    /** "s3" for "s3://b/p"; null for a path (including a Windows-style "C:\x", whose "scheme" is one letter). */
    public static String scheme(String location) {
        int colon = location.indexOf("://");
        if (colon < 2) {
            return null;
        }
        String scheme = location.substring(0, colon);
        return scheme.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.')
                ? scheme.toLowerCase(java.util.Locale.ROOT) : null;
    }
}
