package dev.autoif.activities.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.time.Duration;

/** A docker-java client for DOCKER_HOST (default: the local socket), API version negotiated. */
public final class DockerClients {
    private DockerClients() {}

    public static DockerClient create(int maxConnections) {
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                // Attach streams and waits hold a connection each for a whole batch.
                .maxConnections(Math.max(16, maxConnections * 4))
                .connectionTimeout(Duration.ofSeconds(10))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    /** A client for quick checks (preflight, health): gives up after {@code timeout} instead of waiting on a dead host. */
    public static DockerClient forChecks(String dockerHost, Duration timeout) {
        DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (dockerHost != null) {
            builder.withDockerHost(dockerHost);
        }
        DockerClientConfig config = builder.build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(timeout)
                .responseTimeout(timeout)
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    /** Where the clients connect: DOCKER_HOST, else the local socket. */
    public static String dockerHost() {
        return DefaultDockerClientConfig.createDefaultConfigBuilder().build().getDockerHost().toString();
    }
}
