package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The shared cache against a real PostgreSQL (CI starts it: deploy/scripts/ensure-postgres.sh;
 * AUTOIF_TEST_JDBC_URL overrides where). Two cache instances stand for two workers.
 */
@Tag("postgres")
class JdbcCompletionCacheTest {
    static final String URL = System.getenv().getOrDefault("AUTOIF_TEST_JDBC_URL",
            "jdbc:postgresql://127.0.0.1:5432/autoif?user=autoif&password=autoif");

    @Test
    void entriesAreSharedBetweenWorkersAndTheFirstWriterWins() throws Exception {
        ChatCall call = new ChatCall("http://llm/v1", "secret", "m",
                List.of(new ChatCall.Message("user", "hi " + UUID.randomUUID())), 0.7, null, 64, 5);
        String key = CompletionCache.keyOf(call, 2);
        try (JdbcCompletionCache a = new JdbcCompletionCache(URL); JdbcCompletionCache b = new JdbcCompletionCache(URL)) {
            assertEquals(Optional.empty(), a.get(key));
            CachedCompletion first = new CachedCompletion("answer ✓", "stop", 12, 7, "wf/1");
            a.put(key, first);
            assertEquals(Optional.of(first), b.get(key), "another worker sees the completion");
            b.put(key, new CachedCompletion("other", "length", 1, 1, "wf/2"));
            assertEquals(Optional.of(first), a.get(key), "a completion, once bought, is never replaced");
            assertTrue(!a.description().contains("password"), a.description());
        }
        try (Connection c = DriverManager.getConnection(URL); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM " + JdbcCompletionCache.TABLE + " WHERE key = '" + key + "'")) {
            r.next();
            assertEquals(1, r.getInt(1), "one row per sample hash");
        }
    }

    @Test
    void theGatewayOverPostgresNeverPaysTwice() throws Exception {
        // The same gateway contract as with the disk cache: a second fetch is all cache hits.
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        server.createContext("/v1/chat/completions", ex -> {
            calls.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            byte[] body = ("{\"choices\":[{\"message\":{\"content\":\"a\"},\"finish_reason\":\"stop\"},"
                    + "{\"message\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5}}").getBytes();
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try (JdbcCompletionCache cache = new JdbcCompletionCache(URL)) {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
            ChatCall call = new ChatCall(url, null, "m", List.of(new ChatCall.Message("user", UUID.randomUUID().toString())),
                    null, null, null, 0);
            LlmGateway gateway = new LlmGateway(new OpenAiChatClient(java.time.Duration.ofSeconds(5)), cache);
            LlmGateway.Result first = gateway.fetch(call, 2, "wf/7");
            assertEquals(new LlmGateway.Usage(1, 0, 2, 10, 5), first.usage());
            LlmGateway.Result retried = gateway.fetch(call, 2, "wf/7");
            assertEquals(new LlmGateway.Usage(0, 0, 2, 10, 5), retried.usage(),
                    "a retry of the same activity books what its earlier attempt bought as spending, sending nothing");
            LlmGateway.Result other = new LlmGateway(new OpenAiChatClient(java.time.Duration.ofSeconds(5)),
                    new JdbcCompletionCache(URL)).fetch(call, 2, "wf/8");
            assertEquals(new LlmGateway.Usage(0, 2, 0, 0, 0), other.usage(), "another campaign: two cache hits");
            assertEquals(first.samples(), other.samples());
            assertEquals(1, calls.get());
        } finally {
            server.stop(0);
        }
    }
}
