package dev.autoif.activities.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The contract, then the failures a user meets, against a real S3-protocol server over HTTP (s3proxy). */
class S3ArtifactStoreTest extends ArtifactStoreContract {
    private static final String BUCKET = "autoif-test";
    private static final AtomicInteger RUNS = new AtomicInteger();

    @TempDir
    static Path serverDir;

    static S3TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start(serverDir);
        server.createBucket(BUCKET);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    /** Each test its own prefix: a fresh, empty store on the one server. */
    @Override
    protected S3ArtifactStore store() {
        return server.connection().apply("s3://" + BUCKET + "/run-" + RUNS.incrementAndGet());
    }

    @Test
    void aLargeStreamingWriteGoesUpInPartsAndOnlyOnCommit() throws Exception {
        S3ArtifactStore store = store().withPartSize(5 * 1024 * 1024);
        byte[] big = new byte[12 * 1024 * 1024 + 3]; // three parts: 5 MiB, 5 MiB, the rest
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 251);
        }
        try (ArtifactStore.ArtifactOutput out = store.create("export/part-00000.jsonl")) {
            out.write(big);
            assertFalse(store.exists("export/part-00000.jsonl"), "a multipart upload is visible before commit");
            out.commit();
        }
        try (InputStream in = store.open("export/part-00000.jsonl")) {
            assertArrayEquals(big, in.readAllBytes());
        }
        try (ArtifactStore.ArtifactOutput out = store.create("export/part-00000.jsonl")) {
            out.write(new byte[11 * 1024 * 1024]); // two parts uploaded, then abandoned
        }
        assertArrayEquals(big, store.read("export/part-00000.jsonl"), "an abandoned upload replaced the object");
        try (ArtifactStore.ArtifactOutput out = store.create("export/never.jsonl")) {
            out.write(new byte[6 * 1024 * 1024]);
        }
        assertFalse(store.exists("export/never.jsonl"));
    }

    @Test
    void locationsAreS3UrisAndKeysStayUnderThePrefix() {
        S3ArtifactStore store = server.connection().apply("s3://" + BUCKET + "/campaigns/");
        assertEquals("s3://" + BUCKET + "/campaigns", store.location());
        assertEquals("s3://" + BUCKET + "/campaigns/c1/funnel.json", store.under("c1").location("funnel.json"));
        assertEquals("s3://" + BUCKET, server.connection().apply("s3://" + BUCKET).location());
        for (String bad : new String[] {"../x", "/x", "a//b", "a/", "a/./b", ""}) {
            assertThrows(IllegalArgumentException.class, () -> store.writeString(bad, "x"), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> server.connection().apply("s3:///prefix"));
    }

    @Test
    void anObjectIsOpenedByItsFullS3Location() {
        ArtifactStores stores = new ArtifactStores(java.util.Map.of("s3", server.connection()));
        S3ArtifactStore store = store();
        store.writeString("inputs/seeds.jsonl", "{\"seed\":1}\n");
        ArtifactStores.StoredObject seeds = stores.object(store.location("inputs/seeds.jsonl"));
        assertInstanceOf(S3ArtifactStore.class, seeds.store());
        assertEquals("{\"seed\":1}\n", seeds.store().readString(seeds.key()));
        assertEquals(store.location("inputs/seeds.jsonl"), seeds.location());
    }

    @Test
    void aMissingBucketIsNamed() {
        S3ArtifactStore store = server.connection().apply("s3://no-such-bucket/p");
        var e = assertThrows(S3ArtifactStore.StoreUnavailableException.class, () -> store.writeString("a.json", "{}"));
        assertOneLine(e.getMessage(), "no such bucket 'no-such-bucket'", server.endpoint());
        e = assertThrows(S3ArtifactStore.StoreUnavailableException.class, () -> store.find("a.json"));
        assertOneLine(e.getMessage(), "no such bucket 'no-such-bucket'", server.endpoint());
        e = assertThrows(S3ArtifactStore.StoreUnavailableException.class, () -> store.probe("preflight"));
        assertOneLine(e.getMessage(), "no such bucket 'no-such-bucket'", server.endpoint());
    }

    @Test
    void refusedCredentialsAreNamed() {
        try (S3Connection wrongKeys = new S3Connection(server.endpoint(), S3TestServer.REGION, true,
                StaticCredentialsProvider.create(AwsBasicCredentials.create(S3TestServer.ACCESS_KEY, "not-the-secret")))) {
            S3ArtifactStore store = wrongKeys.apply("s3://" + BUCKET + "/p");
            var e = assertThrows(S3ArtifactStore.StoreUnavailableException.class, () -> store.writeString("a.json", "{}"));
            assertOneLine(e.getMessage(), "on " + server.endpoint() + " (path-style): the credentials were refused for bucket '" + BUCKET + "'",
                    "AWS_SECRET_ACCESS_KEY");
        }
    }

    @Test
    void anUnreachableEndpointIsNamed() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + closedPort;
        try (S3Connection nowhere = new S3Connection(endpoint, S3TestServer.REGION, true,
                StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")))) {
            S3ArtifactStore store = nowhere.apply("s3://" + BUCKET + "/p");
            var e = assertThrows(S3ArtifactStore.StoreUnavailableException.class, () -> store.probe("preflight"));
            assertOneLine(e.getMessage(), "on " + endpoint + " (path-style): the endpoint does not answer", "AUTOIF_S3_ENDPOINT");
        }
    }

    @Test
    void theProbeWritesReadsAndRemovesItsObject() {
        S3ArtifactStore store = store();
        store.probe("preflight-probe");
        assertFalse(store.exists("preflight-probe"));
    }

    @Test
    void anEndpointThatIsNotAUrlIsRefusedAtOnce() {
        var e = assertThrows(IllegalArgumentException.class, () -> new S3Connection("minio:9000", null, true));
        assertTrue(e.getMessage().contains("'minio:9000' is not a URL"), e.getMessage());
    }

    private static void assertOneLine(String message, String... parts) {
        assertFalse(message.contains("\n"), message);
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' missing from: " + message);
        }
    }
}
