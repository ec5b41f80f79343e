package dev.autoif.worker;

import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.S3Connection;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where campaign artifacts live (README "The artifact store"): AUTOIF_STORE, a directory or {@code s3://bucket/prefix}
 * (default: the data directory); AUTOIF_STORE_SHARED, the operator's word that a local directory is a mount every
 * worker shares; AUTOIF_S3_ENDPOINT, AUTOIF_S3_REGION and AUTOIF_S3_PATH_STYLE for S3-compatible servers other than
 * AWS. S3 credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles).
 */
@Singleton
public final class StoreSettings implements AutoCloseable {
    private final String location;
    private final boolean local;
    private final Path dataDir;
    private final boolean shared;
    private final S3Connection s3;

    @Inject
    public StoreSettings(@Value("${autoif.store.location:}") String location,
                         @Value("${autoif.store.shared:false}") boolean shared,
                         @Value("${autoif.data-dir:autoif-data}") String dataDir,
                         @Value("${autoif.s3.endpoint:}") String s3Endpoint,
                         @Value("${autoif.s3.region:}") String s3Region,
                         @Value("${autoif.s3.path-style:false}") boolean s3PathStyle) {
        this(location, shared, Path.of(dataDir), new S3Connection(s3Endpoint, s3Region, s3PathStyle));
    }

    /** @param s3 the "s3" backend (tests give one with their server's keys) */
    public StoreSettings(String location, boolean shared, Path dataDir, S3Connection s3) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        String given = location == null ? "" : location.strip();
        this.location = given.isEmpty() ? this.dataDir.toString() : given;
        String scheme = ArtifactStores.scheme(this.location);
        this.local = scheme == null || scheme.equals("file");
        this.shared = shared;
        this.s3 = s3;
    }

    /** The data directory as the store, not declared shared (tests, and workers of an embedded server). */
    public static StoreSettings local(Path dataDir) {
        return new StoreSettings("", false, dataDir, new S3Connection(null, null, false));
    }

    /** The store's root as given: a directory or {@code s3://bucket/prefix}. */
    public String location() {
        return location;
    }

    /** A directory on this host's file system (shared or not), as opposed to an object store every host reaches. */
    public boolean local() {
        return local;
    }

    /** AUTOIF_STORE_SHARED: the operator declared the local store (and the data directory) shared by every worker. */
    public boolean declaredShared() {
        return shared;
    }

    /** What every worker reads the same way: an object store, or a local directory declared shared. */
    public boolean reachableByEveryWorker() {
        return !local || shared;
    }

    /** The data directory (disk completion cache, embedded server state), for messages. */
    public Path dataDir() {
        return dataDir;
    }

    /** The locations this worker can open: directories, and {@code s3://} on the configured S3 server. */
    public ArtifactStores stores() {
        return new ArtifactStores(Map.of("s3", s3));
    }

    /** The root store. */
    public ArtifactStore open() {
        return stores().open(location);
    }

    /** The configured S3 server, for messages. */
    public String s3Server() {
        return s3.describe();
    }

    @PreDestroy
    @Override
    public void close() {
        s3.close();
    }
}
