package dev.autoif.worker.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.ChatCall;
import dev.autoif.activities.llm.CompletionCache;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.activities.llm.FleetLimiter;
import dev.autoif.activities.llm.JdbcCompletionCache;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.telemetry.Telemetry;
import dev.autoif.activities.llm.VerifierPrompt;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

/**
 * One worker of a fleet, as its own JVM: a gateway with its own PostgreSQL connections. Modes:
 * <ul>
 *   <li>{@code race JDBC BASE_URL LEASE_MS RUN CALLS SAMPLES WORKER GO_FILE OUT_FILE}: once GO_FILE exists, fetches
 *   every call at once (one thread each) and writes, per call, the samples and what this worker paid to OUT_FILE;</li>
 *   <li>{@code claim JDBC BASE_URL LEASE_MS RUN SAMPLES}: claims the samples of call 0 (its lease renewed), prints
 *   {@code CLAIMED} and waits to be killed, like a worker that dies while its request runs.</li>
 * </ul>
 */
public final class FleetWorkerProcess {
    private FleetWorkerProcess() {}

    /** Call {@code i} of run {@code run}: a verifier prompt, so the scripted server's text depends on the seed. */
    static ChatCall call(String baseUrl, String run, int i) {
        return new ChatCall(baseUrl, null, ScriptedLlmServer.MODEL,
                List.of(new ChatCall.Message("user", VerifierPrompt.forInstruction("Race " + run + ": answer in "
                        + (i + 10) + " words or fewer"))), 0.7, null, null, 0);
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "race" -> race(args[1], args[2], Duration.ofMillis(Long.parseLong(args[3])), args[4],
                    Integer.parseInt(args[5]), Integer.parseInt(args[6]), args[7], Path.of(args[8]), Path.of(args[9]));
            case "claim" -> claim(args[1], args[2], Duration.ofMillis(Long.parseLong(args[3])), args[4],
                    Integer.parseInt(args[5]));
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void race(String jdbc, String baseUrl, Duration lease, String run, int calls, int samples,
                             String worker, Path go, Path out) throws Exception {
        try (JdbcCompletionCache cache = new JdbcCompletionCache(jdbc, lease)) {
            LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(60)), cache,
                    EndpointLimiters.unlimited(), FleetLimiter.none(), Telemetry.none());
            System.out.println("READY");
            System.out.flush();
            while (!Files.exists(go)) {
                Thread.sleep(5);
            }
            ExecutorService pool = Executors.newFixedThreadPool(calls, Thread.ofPlatform().daemon().factory());
            List<Future<LlmGateway.Result>> results = new ArrayList<>();
            for (int i : IntStream.range(0, calls).toArray()) {
                results.add(pool.submit(() -> gateway.fetch(call(baseUrl, run, i), samples, worker + "/call-" + i, run)));
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                LlmGateway.Result r = results.get(i).get();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("call", i);
                row.put("samples", r.samples().stream().map(s -> s.content()).toList());
                row.put("requests", r.usage().requests());
                row.put("paid", r.usage().completions());
                row.put("hits", r.usage().cacheHits());
                rows.add(row);
            }
            pool.shutdown();
            Files.writeString(out, new ObjectMapper().writeValueAsString(rows));
        }
    }

    private static void claim(String jdbc, String baseUrl, Duration lease, String run, int samples) throws Exception {
        JdbcCompletionCache cache = new JdbcCompletionCache(jdbc, lease);
        List<String> keys = IntStream.range(0, samples).mapToObj(i -> CompletionCache.keyOf(call(baseUrl, run, 0), i))
                .toList();
        if (cache.claims().acquire(keys).size() != samples) {
            throw new IllegalStateException("could not claim the samples");
        }
        System.out.println("CLAIMED");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
