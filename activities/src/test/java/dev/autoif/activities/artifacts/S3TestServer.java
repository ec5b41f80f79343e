package dev.autoif.activities.artifacts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A real S3-protocol server for tests: s3proxy over HTTP on a free loopback port, keeping objects as files under a
 * directory, checking AWS v2/v4 signatures against one fixed key pair. Any process reaches it at {@link #endpoint()},
 * so a test that starts worker processes gives each of them {@link #workerEnvironment(String)}.
 *
 * <p>Why s3proxy, in this JVM: it is a Maven artifact (MinIO and SeaweedFS build from the Go module proxy in 11-13
 * minutes), so a plain {@code mvn test} has it with nothing else installed. In-JVM works because its dependencies
 * only add to the test classpath: the parent POM leaves out its cloud backends (their protobuf and Netty would clash
 * with Temporal's gRPC) and aligns its Jetty, which nothing else here runs; Jackson 3 lives in other packages than the
 * Jackson 2 of the product.
 *
 * <pre>{@code
 * try (S3TestServer s3 = S3TestServer.start(tempDir)) {
 *     s3.createBucket("campaigns");
 *     ArtifactStore store = s3.connection().apply("s3://campaigns/run-1");
 *     Map<String, String> env = s3.workerEnvironment("s3://campaigns/run-1"); // for worker processes
 * }
 * }</pre>
 */
public final class S3TestServer implements AutoCloseable {
    public static final String ACCESS_KEY = "autoif-test";
    public static final String SECRET_KEY = "autoif-test-secret";
    public static final String REGION = "us-east-1";

    private final S3Proxy proxy;
    private final BlobStore blobs;
    private final String endpoint;
    private final S3Connection connection;

    private S3TestServer(S3Proxy proxy, BlobStore blobs, String endpoint) {
        this.proxy = proxy;
        this.blobs = blobs;
        this.endpoint = endpoint;
        this.connection = new S3Connection(endpoint, REGION, true,
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
    }

    /** Starts a server keeping its buckets as directories under {@code dir}; it has no bucket yet. */
    public static S3TestServer start(Path dir) throws Exception {
        Files.createDirectories(dir);
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().toString());
        properties.setProperty(Constants.PROPERTY_IDENTITY, ACCESS_KEY);
        properties.setProperty(Constants.PROPERTY_CREDENTIAL, SECRET_KEY);
        BlobStore blobs = BlobStores.create("filesystem", properties);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(blobs)
                .endpoint(java.net.URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!AbstractLifeCycle.STARTED.equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                proxy.stop();
                throw new IllegalStateException("s3proxy did not start within 60 s (state " + proxy.getState() + ")");
            }
            Thread.sleep(10);
        }
        return new S3TestServer(proxy, blobs, "http://127.0.0.1:" + proxy.getPort());
    }

    /** {@code http://127.0.0.1:PORT}: what AUTOIF_S3_ENDPOINT names. */
    public String endpoint() {
        return endpoint;
    }

    public void createBucket(String bucket) {
        blobs.createContainer(bucket);
    }

    /** The "s3" backend a test in this JVM opens {@code s3://} locations with (path-style, this server's keys). */
    public S3Connection connection() {
        return connection;
    }

    /** The environment a worker process needs to use {@code storeUri} on this server. */
    public Map<String, String> workerEnvironment(String storeUri) {
        return Map.of("AUTOIF_STORE", storeUri, "AUTOIF_S3_ENDPOINT", endpoint, "AUTOIF_S3_REGION", REGION,
                "AUTOIF_S3_PATH_STYLE", "true", "AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }

    @Override
    public void close() throws Exception {
        connection.close();
        proxy.stop();
        blobs.close();
    }
}
