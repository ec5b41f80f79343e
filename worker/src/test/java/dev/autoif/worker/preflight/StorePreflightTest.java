package dev.autoif.worker.preflight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.S3Connection;
import dev.autoif.activities.artifacts.S3TestServer;
import dev.autoif.worker.StoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which deployments a worker refuses (the rule of README "The artifact store"), and the store check against a real
 * S3-protocol server.
 */
class StorePreflightTest {
    private static final String TEMPORAL = "temporal.example:7233";
    private static final String JDBC = "jdbc:postgresql://db/autoif";

    @TempDir
    Path dir;

    private StoreSettings local(boolean shared) {
        return new StoreSettings("", shared, dir.resolve("data"), new S3Connection(null, null, false));
    }

    private StoreSettings s3(String location) {
        return new StoreSettings(location, false, dir.resolve("data"), new S3Connection(null, null, false));
    }

    @Test
    void theEmbeddedServerAcceptsAnyStoreAndCache() {
        assertEquals(Preflight.Status.OK, Preflight.sharedByEveryWorker(local(false), null, null).status());
    }

    @Test
    void anUndeclaredLocalStoreIsRefusedOnAnotherTemporalSayingWhyAndHowToFixIt() {
        Preflight.Check c = Preflight.sharedByEveryWorker(local(false), JDBC, TEMPORAL);
        assertEquals(Preflight.Status.FAIL, c.status(), c.line());
        assertEquals("Shared state: the artifact store " + dir.resolve("data") + " is a local directory, but workers on "
                + "other hosts polling " + TEMPORAL + " would write campaign files there that this one cannot read; set "
                + "AUTOIF_STORE=s3://bucket/prefix (AUTOIF_S3_ENDPOINT for MinIO and other S3-compatible servers), or "
                + "AUTOIF_STORE_SHARED=true if " + dir.resolve("data") + " is a mount every worker shares or every "
                + "worker runs on this host", c.line());
    }

    @Test
    void aDiskCompletionCacheIsRefusedEvenBesideAnObjectStore() {
        Preflight.Check c = Preflight.sharedByEveryWorker(s3("s3://bucket/campaigns"), null, TEMPORAL);
        assertEquals(Preflight.Status.FAIL, c.status(), c.line());
        assertTrue(c.line().startsWith("Shared state: the LLM completion cache is on this host's disk ("
                + dir.resolve("data").resolve("llm-cache") + ")"), c.line());
        assertTrue(c.line().contains("set AUTOIF_CACHE_JDBC_URL to a PostgreSQL database every worker shares"), c.line());
    }

    @Test
    void anObjectStoreWithPostgresOrADeclaredSharedDirectoryIsAccepted() {
        assertEquals(Preflight.Status.OK, Preflight.sharedByEveryWorker(s3("s3://bucket/campaigns"), JDBC, TEMPORAL).status());
        assertEquals(Preflight.Status.OK, Preflight.sharedByEveryWorker(local(true), JDBC, TEMPORAL).status());
        // a declared-shared data directory holds the disk cache too
        assertEquals(Preflight.Status.OK, Preflight.sharedByEveryWorker(local(true), null, TEMPORAL).status());
    }

    @Test
    void theStoreCheckProbesTheBucket() throws Exception {
        try (S3TestServer server = S3TestServer.start(dir.resolve("s3"))) {
            server.createBucket("campaigns");
            StoreSettings reachable = new StoreSettings("s3://campaigns/autoif", false, dir.resolve("data"), server.connection());
            Preflight.Check ok = Preflight.store(reachable);
            assertEquals(Preflight.Status.OK, ok.status(), ok.line());
            assertEquals("Store: s3://campaigns/autoif on " + server.endpoint() + " (path-style) is writable", ok.line());
            assertFalse(reachable.open().exists(Preflight.PROBE_KEY), "the probe object was left behind");

            StoreSettings missing = new StoreSettings("s3://nope/autoif", false, dir.resolve("data"), server.connection());
            Preflight.Check noBucket = Preflight.store(missing);
            assertEquals(Preflight.Status.FAIL, noBucket.status());
            assertEquals("Store: cannot write s3://nope/autoif/" + Preflight.PROBE_KEY + " on " + server.endpoint() + " (path-style)"
                    + ": no such bucket 'nope' (create it, or fix AUTOIF_STORE)", noBucket.line());
        }
    }

    @Test
    void aLocalStoreIsCheckedAsADirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        StoreSettings notADirectory = new StoreSettings(file.resolve("store").toString(), true, dir, new S3Connection(null, null, false));
        assertEquals(Preflight.Status.FAIL, Preflight.store(notADirectory).status());
        assertEquals(Preflight.Status.OK, Preflight.store(local(false)).status());
    }
}
