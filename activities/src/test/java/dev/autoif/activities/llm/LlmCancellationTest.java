package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cancelled LLM activity stops its HTTP call: the server, which never answers, sees the client close the connection
 * within a few heartbeats of the cancellation, and the activity ends cancelled instead of waiting out its 5-minute
 * request timeout.
 */
class LlmCancellationTest {
    @TempDir
    Path cacheDir;

    @Test
    void aCancelledCallClosesItsConnectionAndTheActivityEndsCancelled() throws Exception {
        CountDownLatch requestArrived = new CountDownLatch(1);
        CompletableFuture<Long> closedAtNanos = new CompletableFuture<>();
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> hold(server, requestArrived, closedAtNanos));
            String url = "http://127.0.0.1:" + server.getLocalPort() + "/v1";
            LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofMinutes(5)), new DiskCompletionCache(cacheDir));
            env.registerActivitiesImplementations(new LlmActivitiesImpl(gateway,
                    new LlmDefaults(url, null, "m", Duration.ofMinutes(5))));
            LlmActivities llm = env.newActivityStub(LlmActivities.class, ActivityOptions.newBuilder()
                    .setTaskQueue(TaskQueues.LLM)
                    .setStartToCloseTimeout(Duration.ofMinutes(10))
                    // The test environment throttles heartbeats to 0.8 x this (the worker to HEARTBEAT_EVERY).
                    .setHeartbeatTimeout(LlmActivitiesImpl.HEARTBEAT_EVERY)
                    .build());

            CompletableFuture<Object> outcome = CompletableFuture.supplyAsync(() -> {
                try {
                    return llm.generateVerifiers(new VerifierRequest("c", "Answer in French.", null, 1));
                } catch (RuntimeException e) {
                    return e;
                }
            });
            assertTrue(requestArrived.await(30, TimeUnit.SECONDS), "the request reached the server");
            long cancelledAt = System.nanoTime();
            env.requestCancelActivity();

            long closed = closedAtNanos.get(30, TimeUnit.SECONDS);
            Object result = outcome.get(30, TimeUnit.SECONDS);
            assertInstanceOf(CanceledFailure.class, result, "the activity ends cancelled: " + result);
            double seconds = (closed - cancelledAt) / 1e9;
            assertTrue(seconds < 3 * LlmActivitiesImpl.HEARTBEAT_EVERY.toSeconds(),
                    "connection closed " + seconds + " s after the cancellation");
        } finally {
            env.close();
        }
    }

    /** Accepts one request, never answers, and records when the client closes the connection. */
    private static void hold(ServerSocket server, CountDownLatch arrived, CompletableFuture<Long> closedAt) {
        try (Socket socket = server.accept()) {
            InputStream in = socket.getInputStream();
            BufferedReader headers = new BufferedReader(new InputStreamReader(in, StandardCharsets.ISO_8859_1));
            for (String line = headers.readLine(); line != null && !line.isEmpty(); line = headers.readLine()) {
                // the headers; the body stays in the buffer
            }
            arrived.countDown();
            while (headers.read() != -1) {
                // drain whatever else comes until the client closes
            }
            closedAt.complete(System.nanoTime());
        } catch (Exception e) {
            closedAt.complete(System.nanoTime()); // a reset is a close too
        }
    }
}
