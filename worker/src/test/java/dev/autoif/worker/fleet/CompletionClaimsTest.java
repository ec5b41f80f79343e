package dev.autoif.worker.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.CompletionCache;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.activities.llm.FleetLimiter;
import dev.autoif.activities.llm.JdbcCompletionCache;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.telemetry.Telemetry;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No double payment across workers: gateways in separate JVMs, each with its own connections to the real PostgreSQL
 * (deploy/scripts/ensure-postgres.sh; AUTOIF_TEST_JDBC_URL overrides where), race on the same calls against the
 * scripted server, which bills every completion and counts those billed twice.
 */
@Tag("postgres")
public class CompletionClaimsTest {
    /** The PostgreSQL every postgres-tagged test uses (deploy/scripts/ensure-postgres.sh starts it). */
    public static final String URL = System.getenv().getOrDefault("AUTOIF_TEST_JDBC_URL",
            "jdbc:postgresql://127.0.0.1:5432/autoif?user=autoif&password=autoif");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * Three worker processes fetch the same 6 calls of 8 samples at the same moment. The server ignores seeds (every
     * purchase is a fresh text), so identical samples mean every worker took the one stored answer; it answers after
     * 1.5 s, longer than the 1 s lease, so the claims hold only because their claimant renews them.
     */
    @Test
    void threeWorkersRacingOnTheSameCallsBuyEachCompletionOnce() throws Exception {
        int calls = 6, samples = 8, workers = 3;
        String run = UUID.randomUUID().toString();
        Faults faults = Faults.parse("ignore-seed:1", 0).withLatency(Duration.ofMillis(1500));
        try (ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(), faults);
             FleetProcesses processes = new FleetProcesses()) {
            Path go = dir.resolve("go");
            List<Process> started = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                started.add(processes.start("READY", "race", URL, server.baseUrl(), "1000", run, Integer.toString(calls),
                        Integer.toString(samples), "worker-" + w, go.toString(), dir.resolve("out-" + w + ".json").toString()));
            }
            Files.writeString(go, "go");
            for (Process p : started) {
                assertTrue(p.waitFor(2, TimeUnit.MINUTES), "a worker process did not finish");
                assertEquals(0, p.exitValue());
            }
            List<JsonNode> outputs = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                outputs.add(JSON.readTree(dir.resolve("out-" + w + ".json").toFile()));
            }
            long paid = 0, requests = 0, hits = 0;
            for (int i = 0; i < calls; i++) {
                JsonNode first = outputs.get(0).get(i).get("samples");
                assertEquals(samples, first.size());
                assertEquals(samples, IntStream.range(0, samples).mapToObj(j -> first.get(j).asText()).distinct().count(),
                        "the server gave a fresh text per purchase");
                for (JsonNode out : outputs) {
                    assertEquals(first, out.get(i).get("samples"), "call " + i + ": every worker has the stored samples");
                    paid += out.get(i).get("paid").asLong();
                    requests += out.get(i).get("requests").asLong();
                    hits += out.get(i).get("hits").asLong();
                }
            }
            System.out.printf("claims race: %d workers x %d calls x %d samples; server billed %d completions in %d requests, "
                            + "repeated_completions=%d; workers paid %d, cache hits %d%n", workers, calls, samples,
                    server.completionsServed(), requests, server.repeatedCompletions(), paid, hits);
            assertEquals(0, server.repeatedCompletions(), "no completion was billed twice");
            assertEquals((long) calls * samples, server.completionsServed());
            assertEquals((long) calls * samples, paid, "each completion paid by exactly one worker");
            assertEquals((long) calls * samples * (workers - 1), hits, "the others took the stored answer");
        }
    }

    /**
     * A worker that claimed a call's samples and then dies (SIGKILL) holds them off for its lease only: while it lives
     * its renewals keep another gateway waiting, after the kill that gateway takes the claim over and buys.
     */
    @Test
    void aDeadClaimantsClaimIsTakenOverAfterTheLease() throws Exception {
        int samples = 4;
        long leaseMillis = 1500;
        String run = UUID.randomUUID().toString();
        try (ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load());
             FleetProcesses processes = new FleetProcesses();
             JdbcCompletionCache cache = new JdbcCompletionCache(URL, Duration.ofMillis(leaseMillis))) {
            Process claimant = processes.start("CLAIMED", "claim", URL, server.baseUrl(), Long.toString(leaseMillis), run,
                    Integer.toString(samples));
            LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(30)), cache,
                    EndpointLimiters.unlimited(), FleetLimiter.none(), Telemetry.none());
            CompletableFuture<LlmGateway.Result> fetched = CompletableFuture.supplyAsync(
                    () -> gateway.fetch(FleetWorkerProcess.call(server.baseUrl(), run, 0), samples, "wf/taker", run));
            Thread.sleep(2 * leaseMillis);
            assertFalse(fetched.isDone(), "a live claimant's renewed claim is not taken over");
            assertEquals(0, server.completionsServed());
            claimant.destroyForcibly().waitFor();
            LlmGateway.Result result = fetched.get(1, TimeUnit.MINUTES);
            assertEquals(samples, result.samples().size());
            assertEquals(samples, result.usage().completions(), "the taker bought the samples itself");
            assertEquals(samples, server.completionsServed());
            List<String> keys = IntStream.range(0, samples)
                    .mapToObj(i -> CompletionCache.keyOf(FleetWorkerProcess.call(server.baseUrl(), run, 0), i)).toList();
            try (Connection c = DriverManager.getConnection(URL);
                 PreparedStatement s = c.prepareStatement("SELECT count(*) FROM " + JdbcCompletionCache.CLAIMS
                         + " WHERE key = ANY(?)")) {
                s.setArray(1, c.createArrayOf("text", keys.toArray()));
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    assertEquals(0, r.getInt(1), "storing the samples ended the claims");
                }
            }
            assertEquals(result.samples().get(0).content(), cache.get(keys.get(0)).orElseThrow().content());
        }
    }
}
