package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The packaged application as an operator runs it: {@code java -jar autoif.jar worker} connects
 * to the dev server, serves /health and /prometheus, and exits cleanly on SIGTERM.
 */
@Tag("dev-server")
@Tag("docker")
class WorkerProcessIT {
    static final String ADDRESS = System.getenv().getOrDefault("TEMPORAL_ADDRESS", "localhost:7233");

    @Test
    void workerServesHealthAndMetricsAndStopsGracefully() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dataDir = Files.createTempDirectory("autoif-worker-it");
        Path log = dataDir.resolve("worker.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target", "autoif.jar").toString(), "worker")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("TEMPORAL_ADDRESS", ADDRESS);
        pb.environment().put("AUTOIF_HTTP_PORT", Integer.toString(port));
        pb.environment().put("AUTOIF_DATA_DIR", dataDir.toString());
        pb.environment().put("AUTOIF_STORE_SHARED", "true"); // one host: its data directory is every worker's
        Process worker = pb.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = null;
            for (int i = 0; i < 120 && health == null; i++) {
                try {
                    health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString());
                } catch (IOException notYet) {
                    assertTrue(worker.isAlive(), "worker exited early:\n" + Files.readString(log));
                    Thread.sleep(500);
                }
            }
            assertTrue(health != null, "no /health answer:\n" + Files.readString(log));
            assertEquals(200, health.statusCode(), health.body());
            assertTrue(health.body().contains("UP"), health.body());
            // the sandbox entry says the engine and the image are there (and, when not, what is wrong: SandboxHealthIndicatorTest)
            assertTrue(health.body().contains("\"sandbox\"") && health.body().contains("is on the engine"), health.body());

            // Temporal's worker metrics reach the scrape once the pollers have reported.
            String metrics = "";
            for (int i = 0; i < 40 && !metrics.contains("temporal_"); i++) {
                Thread.sleep(500);
                metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/prometheus")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            }
            assertTrue(metrics.contains("jvm_memory_used_bytes"), metrics);
            assertTrue(metrics.contains("temporal_"), "no temporal_* metrics in:\n" + metrics);
            // The product's metrics are on the same registry (registered at start, before any campaign).
            assertTrue(metrics.contains("autoif_sandbox_evaluations_total") && metrics.contains("autoif_sandbox_containers_running"),
                    "no autoif_* metrics in:\n" + metrics);
        } finally {
            worker.destroy(); // SIGTERM: the shutdown hook stops polling and waits for running tasks
            assertTrue(worker.waitFor(60, TimeUnit.SECONDS), "worker did not stop on SIGTERM:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        assertTrue(output.contains("autoif worker connected to " + ADDRESS), output);
        assertTrue(worker.exitValue() == 0 || worker.exitValue() == 143, "exit " + worker.exitValue() + "\n" + output);
    }
}
