package dev.autoif.activities.artifacts;

import java.net.URI;
import java.time.Duration;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 server a worker's {@code s3://} locations live on, and the one client (a connection pool) every campaign's
 * store shares: the "s3" backend of {@link ArtifactStores}. The client is built on first use, so a worker whose store
 * is local never needs credentials.
 */
public final class S3Connection implements Function<String, ArtifactStore>, AutoCloseable {

    /** Connections one process keeps to the store: every activity slot that writes at once, with room to spare. */
    private static final int MAX_CONNECTIONS = 128;

    private final String endpoint;
    private final String region;
    private final boolean pathStyle;
    private final AwsCredentialsProvider credentials;
    private S3Client client;

    /**
     * @param endpoint    an S3-compatible server's URL (MinIO, SeaweedFS, Ceph, R2...); null or blank: AWS S3
     * @param region      null or blank: AWS's own resolution (AWS_REGION, profile), else us-east-1, which other servers
     *                    accept
     * @param pathStyle   {@code http://host/bucket/key} rather than {@code http://bucket.host/key}; most non-AWS
     *                    servers need it
     * @param credentials where the keys come from; null: the SDK's default chain (AWS_ACCESS_KEY_ID and
     *                    AWS_SECRET_ACCESS_KEY, profiles, instance roles)
     */
    public S3Connection(String endpoint, String region, boolean pathStyle, AwsCredentialsProvider credentials) {
        this.endpoint = endpoint == null || endpoint.isBlank() ? null : endpoint.strip().replaceAll("/+$", "");
        this.region = region == null || region.isBlank() ? null : region.strip();
        this.pathStyle = pathStyle;
        this.credentials = credentials;
        if (this.endpoint != null) {
            URI uri;
            try {
                uri = URI.create(this.endpoint);
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("S3 endpoint '" + endpoint + "' is not a URL like http://host:9000");
            }
        }
    }

    /** With the SDK's default credentials chain. */
    public S3Connection(String endpoint, String region, boolean pathStyle) {
        this(endpoint, region, pathStyle, null);
    }

    /**
     * The S3 server as a user reads it in a message: the endpoint, or AWS S3 and its region, and the addressing style
     * (a server without a DNS name per bucket answers virtual-hosted requests with errors that do not say so).
     */
    public String describe() {
        return (endpoint != null ? endpoint : "AWS S3" + (region != null ? " (" + region + ")" : ""))
                + (pathStyle ? " (path-style)" : "");
    }

    @Override
    public S3ArtifactStore apply(String location) {
        return S3ArtifactStore.open(client(), location, describe());
    }

    synchronized S3Client client() {
        if (client == null) {
            client = build();
        }
        return client;
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    private S3Client build() {
        var builder = S3Client.builder()
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(MAX_CONNECTIONS)
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(60)))
                .credentialsProvider(credentials != null ? credentials : DefaultCredentialsProvider.builder().build())
                .forcePathStyle(pathStyle);
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint))
                    .region(Region.of(region != null ? region : "us-east-1"))
                    // Since 2.30 the SDK adds CRC checksums (as aws-chunked bodies) to every upload by default, which
                    // several S3-compatible servers reject or store wrongly: only where an operation requires one.
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        } else if (region != null) {
            builder.region(Region.of(region));
        } else {
            // No region given: AWS's own resolution, else any region to sign with, following the bucket's redirect.
            builder.region(regionFromEnvironmentOr("us-east-1")).crossRegionAccessEnabled(true);
        }
        return builder.build();
    }

    private static Region regionFromEnvironmentOr(String fallback) {
        try {
            return new DefaultAwsRegionProviderChain().getRegion();
        } catch (RuntimeException none) {
            return Region.of(fallback);
        }
    }
}
