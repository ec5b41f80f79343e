package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-endpoint cap over real HTTP: 12 callers at once, a cap of 3, the server counts what reaches it. */
class ConcurrencyCapHttpTest {
    @TempDir
    Path cacheDir;

    @Test
    void noMoreRequestsInFlightThanTheCap() throws Exception {
        int cap = 3;
        AtomicInteger current = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        // The first `cap` requests wait for each other, so the cap is certainly reached; were it not enforced,
        // every caller would be inside at once.
        CountDownLatch capReached = new CountDownLatch(cap);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", ex -> {
            ex.getRequestBody().readAllBytes();
            int now = current.incrementAndGet();
            max.accumulateAndGet(now, Math::max);
            capReached.countDown();
            try {
                capReached.await(10, TimeUnit.SECONDS);
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            current.decrementAndGet();
            served.incrementAndGet();
            byte[] body = "{\"choices\":[{\"message\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{}}"
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(30)), new DiskCompletionCache(cacheDir),
                new EndpointLimiters(AdaptiveConcurrencyLimiter.Settings.of(1, cap)));
        ExecutorService callers = Executors.newFixedThreadPool(12);
        try {
            List<Future<List<ChatSample>>> results = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                ChatCall call = new ChatCall(url + "/", null, "m", List.of(new ChatCall.Message("user", "prompt " + i)),
                        null, null, null, 0);
                results.add(callers.submit(() -> gateway.samples(call, 1)));
            }
            for (Future<List<ChatSample>> f : results) {
                assertEquals("ok", f.get(60, TimeUnit.SECONDS).get(0).content());
            }
        } finally {
            callers.shutdownNow();
            server.stop(0);
        }
        assertEquals(12, served.get());
        assertEquals(cap, max.get(), "the cap is reached and never exceeded (base URLs with and without '/' are one endpoint)");
        assertTrue(current.get() == 0);
    }
}
