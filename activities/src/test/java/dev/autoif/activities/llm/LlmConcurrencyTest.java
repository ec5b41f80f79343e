package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.llm.JudgeRequest;
import dev.autoif.workflows.activities.llm.JudgeVerdicts;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.llm.ResponseBatch;
import dev.autoif.workflows.activities.llm.ResponseBatchRequest;
import dev.autoif.workflows.activities.llm.ResponseRequest;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An activity's independent LLM requests go out at once (a batch's prompts, a judge's responses, the K samples of an
 * endpoint that ignores n), against a real HTTP server that answers only once they are all in flight together: sent
 * one after another, they would each wait out the server's patience and the test would fail.
 */
class LlmConcurrencyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    /** Requests received per prompt text. */
    private final Map<String, AtomicInteger> requestsByPrompt = new ConcurrentHashMap<>();

    @TempDir
    Path cacheDir;

    record Reply(int status, String body) {}

    /** A server answering each request with {@code handler}, on a thread of its own (so that it can hold several). */
    private String serve(Function<JsonNode, Reply> handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", (HttpExchange ex) -> {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                JsonNode request = JSON.readTree(ex.getRequestBody());
                requestsByPrompt.computeIfAbsent(prompt(request), p -> new AtomicInteger()).incrementAndGet();
                Reply reply = handler.apply(request);
                byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(reply.status(), body.length);
                ex.getResponseBody().write(body);
            } finally {
                inFlight.decrementAndGet();
                ex.close();
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private static String prompt(JsonNode request) {
        return request.get("messages").get(0).get("content").asText();
    }

    private static Reply completion(int choices, String text) {
        StringBuilder sb = new StringBuilder("{\"choices\": [");
        for (int i = 0; i < choices; i++) {
            if (i > 0) sb.append(',');
            sb.append("{\"index\":").append(i).append(",\"message\":{\"role\":\"assistant\",\"content\":\"")
                    .append(text).append(choices > 1 ? " " + i : "").append("\"},\"finish_reason\":\"stop\"}");
        }
        return new Reply(200, sb.append("], \"usage\": {\"prompt_tokens\": 10, \"completion_tokens\": 5}}").toString());
    }

    /** Waits until {@code together} has counted down to zero: every expected request is in flight at once. */
    private static void awaitAll(CountDownLatch together) {
        together.countDown();
        try {
            if (!together.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the requests did not arrive together: " + together.getCount() + " missing");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private LlmGateway gateway() {
        return new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(90)), new DiskCompletionCache(cacheDir));
    }

    private static LlmActivities stub(TestActivityEnvironment env) {
        return env.newActivityStub(LlmActivities.class, ActivityOptions.newBuilder()
                .setTaskQueue(TaskQueues.LLM)
                .setStartToCloseTimeout(Duration.ofMinutes(5))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                .build());
    }

    private static ResponseRequest prompt(String text) {
        return new ResponseRequest("c", text, null, 2, LlmRole.SUPERVISION, Stage.S6);
    }

    /**
     * Four prompts in one activity are sent together. One the endpoint refuses (400) gets its error in its item; one
     * that fails transiently (500) fails the batch, and the retry buys only that one: the others come from the cache.
     */
    @Test
    void aBatchSendsItsPromptsTogetherAndItsRetryBuysOnlyWhatIsMissing() throws Exception {
        CountDownLatch together = new CountDownLatch(4);
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        String url = serve(request -> {
            String text = prompt(request);
            awaitAll(together);
            if (text.equals("refused")) {
                return new Reply(400, "{\"error\":{\"message\":\"prompt too long\"}}");
            }
            if (text.equals("flaky") && failedOnce.add(text)) {
                return new Reply(500, "{\"error\":\"overloaded\"}");
            }
            return completion(request.get("n").asInt(), "answer to " + text);
        });
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new LlmActivitiesImpl(gateway(), new LlmDefaults(url, null, "m", Duration.ofSeconds(90))));
            ResponseBatchRequest batch = new ResponseBatchRequest(List.of(prompt("one"), prompt("refused"), prompt("flaky"), prompt("two")));

            ActivityFailure first = assertThrows(ActivityFailure.class, () -> stub(env).sampleResponseBatch(batch));
            assertInstanceOf(ApplicationFailure.class, first.getCause());
            assertEquals(4, maxInFlight.get(), "the four prompts were in flight together");

            ResponseBatch retried = stub(env).sampleResponseBatch(batch);
            assertEquals(List.of("answer to one 0", "answer to one 1"),
                    retried.items().get(0).samples().stream().map(s -> s.text()).toList());
            assertTrue(retried.items().get(1).samples().isEmpty());
            assertTrue(retried.items().get(1).error().contains("LlmBadRequest"), retried.items().get(1).error());
            assertEquals(2, retried.items().get(2).samples().size());
            assertNull(retried.items().get(3).error());
            assertEquals(Map.of("one", 1, "refused", 2, "flaky", 2, "two", 1), counts(),
                    "the retry asked only for what the first attempt did not get");
            assertEquals(1, retried.usage().size(), "one usage entry for the batch");
            assertEquals(1, retried.usage().get(0).requests(), "the retry bought the flaky prompt's samples only");
        } finally {
            env.close();
        }
    }

    /** The judge's requests for the responses of one prompt go together. */
    @Test
    void theJudgeScoresAPromptsResponsesTogether() throws Exception {
        CountDownLatch together = new CountDownLatch(3);
        String url = serve(request -> {
            awaitAll(together);
            return completion(1, "Fine. Score: 8");
        });
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new LlmActivitiesImpl(gateway(), new LlmDefaults(url, null, "m", Duration.ofSeconds(90))));
            JudgeVerdicts verdicts = stub(env).judgeResponses(new JudgeRequest("c", "Be brief.", "Hi?",
                    List.of("a", "b", "c"), null, 1));
            assertEquals(3, maxInFlight.get());
            assertEquals(3, verdicts.verdicts().size());
            verdicts.verdicts().forEach(v -> assertEquals(List.of(8.0), v.scores()));
        } finally {
            env.close();
        }
    }

    /**
     * An endpoint that ignores n: once the gateway knows it, the K samples of a call are K requests in flight
     * together (each with its own seed), not one after another.
     */
    @Test
    void samplesFromAnEndpointThatIgnoresNAreRequestedTogether() throws Exception {
        CountDownLatch together = new CountDownLatch(4);
        String url = serve(request -> {
            if (prompt(request).equals("hi")) {
                awaitAll(together);
            }
            return completion(1, "seed " + request.get("seed").asLong());
        });
        LlmGateway gateway = gateway();
        ChatCall first = new ChatCall(url, null, "m", List.of(new ChatCall.Message("user", "learn")), 0.7, null, null, 0);
        assertEquals(2, gateway.samples(first, 2).size(), "learnt from this call's first answer: n is ignored");
        maxInFlight.set(0);
        ChatCall call = new ChatCall(url, null, "m", List.of(new ChatCall.Message("user", "hi")), 0.7, null, null, 100);
        List<ChatSample> samples = gateway.samples(call, 4);
        assertEquals(List.of("seed 100", "seed 101", "seed 102", "seed 103"),
                samples.stream().map(ChatSample::content).toList());
        assertEquals(4, maxInFlight.get(), "the four samples were in flight together");
        assertEquals(4, requestsByPrompt.get("hi").get(), "one request per sample");
    }

    private Map<String, Integer> counts() {
        return requestsByPrompt.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
    }
}
