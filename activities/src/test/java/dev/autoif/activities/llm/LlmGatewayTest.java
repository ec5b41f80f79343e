package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.autoif.workflows.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI client and the gateway against a real HTTP server that misbehaves on purpose. */
class LlmGatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();

    @TempDir
    Path cacheDir;

    record Reply(int status, String body, String retryAfter) {}

    private String serve(Function<JsonNode, Reply> handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", (HttpExchange ex) -> {
            JsonNode request = JSON.readTree(ex.getRequestBody());
            requests.add(request);
            Reply reply = handler.apply(request);
            if (reply.retryAfter() != null) ex.getResponseHeaders().set("Retry-After", reply.retryAfter());
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(reply.status(), body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private static String completion(int choices, long seed) {
        StringBuilder sb = new StringBuilder("{\"choices\": [");
        for (int i = 0; i < choices; i++) {
            if (i > 0) sb.append(',');
            sb.append("{\"index\":").append(i).append(",\"message\":{\"role\":\"assistant\",\"content\":\"sample ")
                    .append(seed + i).append("\"},\"finish_reason\":\"stop\"}");
        }
        return sb.append("], \"usage\": {\"prompt_tokens\": 10, \"completion_tokens\": 5}}").toString();
    }

    private static ChatCall call(String baseUrl) {
        return new ChatCall(baseUrl, "key", "m", List.of(new ChatCall.Message("user", "hi")), 0.7, null, null, 100);
    }

    private LlmGateway gateway() {
        return new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(5)), new DiskCompletionCache(cacheDir));
    }

    @Test
    void topsUpWhenTheBackendIgnoresNAndNeverPaysTwice() throws IOException {
        // Like llama.cpp: one choice whatever n says.
        String url = serve(req -> new Reply(200, completion(1, req.get("seed").asLong()), null));
        List<ChatSample> samples = gateway().samples(call(url), 4);
        assertEquals(List.of("sample 100", "sample 101", "sample 102", "sample 103"),
                samples.stream().map(ChatSample::content).toList());
        // The first answer shows n is ignored: the same request (seed 100) is sent once more to check the seed; the
        // other samples then go one request each, at once (so in any order), each with its own seed.
        assertEquals(5, requests.size());
        assertEquals(List.of(4, 1, 1, 1, 1), requests.stream().map(r -> r.get("n").asInt()).toList());
        assertEquals(List.of(100L, 100L), requests.subList(0, 2).stream().map(r -> r.get("seed").asLong()).toList());
        assertEquals(java.util.Set.of(101L, 102L, 103L),
                requests.subList(2, 5).stream().map(r -> r.get("seed").asLong()).collect(java.util.stream.Collectors.toSet()));

        List<ChatSample> again = gateway().samples(call(url), 4);
        assertEquals(samples, again);
        assertEquals(5, requests.size(), "a retried or re-run call is answered from the cache");
        assertFalse(requests.get(0).has("top_p"), "unset parameters are not sent");
    }

    @Test
    void rateLimitHonoursRetryAfter() throws IOException {
        String url = serve(req -> new Reply(429, "{\"error\":\"slow down\"}", "7"));
        ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> gateway().samples(call(url), 2));
        assertEquals(FailureTypes.LLM_RATE_LIMITED, f.getType());
        assertFalse(f.isNonRetryable());
        assertEquals(Duration.ofSeconds(7), f.getNextRetryDelay());
    }

    @Test
    void clientErrorsAreNonRetryableAndSayWhatToFix() throws IOException {
        int[] status = {401};
        String url = serve(req -> new Reply(status[0], "{\"error\":{\"message\":\"nope\"}}", null));
        ApplicationFailure auth = assertThrows(ApplicationFailure.class, () -> gateway().samples(call(url), 1));
        assertEquals(FailureTypes.LLM_AUTH, auth.getType());
        assertTrue(auth.isNonRetryable());
        assertTrue(auth.getOriginalMessage().contains("OPENAI_API_KEY"), auth.getOriginalMessage());

        status[0] = 404;
        ApplicationFailure notFound = assertThrows(ApplicationFailure.class, () -> gateway().samples(call(url), 1));
        assertEquals(FailureTypes.LLM_NOT_FOUND, notFound.getType());
        assertTrue(notFound.getOriginalMessage().contains("model name"), notFound.getOriginalMessage());

        status[0] = 400;
        ApplicationFailure bad = assertThrows(ApplicationFailure.class, () -> gateway().samples(call(url), 1));
        assertEquals(FailureTypes.LLM_BAD_REQUEST, bad.getType());
        assertTrue(bad.isNonRetryable());

        status[0] = 500;
        ApplicationFailure server500 = assertThrows(ApplicationFailure.class, () -> gateway().samples(call(url), 1));
        assertEquals(FailureTypes.LLM_UNAVAILABLE, server500.getType());
        assertFalse(server500.isNonRetryable());
    }

    @Test
    void malformedBodyAndUnreachableEndpointAreRetryable() throws IOException {
        String url = serve(req -> new Reply(200, "{\"choices\": [ {\"message\": ", null));
        ApplicationFailure malformed = assertThrows(ApplicationFailure.class, () -> gateway().samples(call(url), 1));
        assertEquals(FailureTypes.LLM_UNAVAILABLE, malformed.getType());
        assertTrue(malformed.getOriginalMessage().contains("malformed"), malformed.getOriginalMessage());
        server.stop(0);
        server = null;
        ApplicationFailure unreachable = assertThrows(ApplicationFailure.class, () -> gateway().samples(call(url), 1));
        assertEquals(FailureTypes.LLM_UNAVAILABLE, unreachable.getType());
        assertFalse(unreachable.isNonRetryable());
        assertTrue(unreachable.getOriginalMessage().contains("unreachable"), unreachable.getOriginalMessage());
    }
}
