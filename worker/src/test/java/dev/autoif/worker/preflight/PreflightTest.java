package dev.autoif.worker.preflight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each check against the real thing that is there or not: a socket nobody listens on, a real HTTP server. */
class PreflightTest {
    @Test
    void aDockerHostWhereNothingListensFailsNamingItAndTheFix() throws Exception {
        String host = "unix:///tmp/autoif-nothing-" + UUID.randomUUID() + ".sock";
        long start = System.nanoTime();
        try (var docker = DockerClients.forChecks(host, Duration.ofSeconds(2))) {
            Preflight.Check c = Preflight.dockerEngine(docker, host, true);
            assertEquals(Preflight.Status.FAIL, c.status());
            assertEquals("Docker engine: nothing answers at " + host + " (No such file or directory); start the engine there, "
                    + "or fix or unset DOCKER_HOST", c.line());
        }
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "fails fast");
    }

    @Test
    void theLlmEndpointIsCheckedWithItsModelsList() throws Exception {
        try (ScriptedLlmServer llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load())) {
            Preflight.Check ok = Preflight.llm("LLM endpoint", llm.baseUrl(), null, ScriptedLlmServer.MODEL);
            assertEquals(Preflight.Status.OK, ok.status(), ok.line());
            Preflight.Check unknownModel = Preflight.llm("LLM endpoint", llm.baseUrl(), null, "no-such-model");
            assertEquals(Preflight.Status.WARN, unknownModel.status(), unknownModel.line());
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Preflight.Check down = Preflight.llm("LLM endpoint", "http://127.0.0.1:" + port + "/v1", null, null);
        assertEquals("LLM endpoint: http://127.0.0.1:" + port + "/v1 does not answer (connection refused); start the server, "
                + "or fix OPENAI_BASE_URL", down.line());
    }

    @Test
    void aRefusedKeyFails() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models", ex -> {
            ex.sendResponseHeaders(401, -1);
            ex.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
            Preflight.Check c = Preflight.llm("LLM endpoint", url, "wrong", null);
            assertEquals(Preflight.Status.FAIL, c.status());
            assertTrue(c.line().contains("refused the key (HTTP 401); set OPENAI_API_KEY"), c.line());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aTemporalAddressWhereNothingListensFails() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Preflight.Check c = Preflight.temporal("127.0.0.1:" + port, "default");
        assertEquals(Preflight.Status.FAIL, c.status());
        assertEquals("Temporal: no server answers at 127.0.0.1:" + port + " (connection refused); start one (`temporal server "
                + "start-dev`) or fix TEMPORAL_ADDRESS (`autoif run` without it starts its own)", c.line());
        assertTrue(c.line().contains("`temporal server start-dev`"), c.line());
    }

    @Test
    void anUnwritableStoreFails(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Preflight.Check c = Preflight.store(file.resolve("data"));
        assertEquals(Preflight.Status.FAIL, c.status());
        assertTrue(c.line().endsWith("; set AUTOIF_DATA_DIR to a writable directory"), c.line());
        assertEquals(Preflight.Status.OK, Preflight.store(tmp.resolve("data")).status());
    }

    @Test
    void aCompletionCacheThatDoesNotAnswerFailsWithoutShowingThePassword() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Preflight.Check c = Preflight.completionCache("jdbc:postgresql://127.0.0.1:" + port + "/autoif?user=u&password=secret");
        assertEquals(Preflight.Status.FAIL, c.status());
        assertTrue(!c.line().contains("secret") && c.line().contains("password=***"), c.line());
    }
}
