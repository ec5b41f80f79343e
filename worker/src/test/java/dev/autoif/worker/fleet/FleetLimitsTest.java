package dev.autoif.worker.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.llm.AdaptiveConcurrencyLimiter;
import dev.autoif.activities.llm.ChatCall;
import dev.autoif.activities.llm.DiskCompletionCache;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.activities.llm.FleetLimiter;
import dev.autoif.activities.llm.JdbcFleetLimiter;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.telemetry.Telemetry;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet-wide cap and its fair shares against the real PostgreSQL: three gateways stand for three workers, each
 * with its own permit store and connections and a local (per-worker) cap of 8; the scripted server measures the
 * requests in flight at once.
 */
@Tag("postgres")
class FleetLimitsTest {
    static final String URL = CompletionClaimsTest.URL;
    static final int CAP = 4;

    @TempDir
    Path dir;

    @Test
    void theCapHoldsAcrossThreeWorkers() throws Exception {
        int without = maxInFlight(false);
        int with = maxInFlight(true);
        System.out.printf("fleet cap %d, 3 workers x 12 callers (local cap 8 each): max requests in flight at the server "
                + "without the fleet cap %d, with it %d%n", CAP, without, with);
        assertTrue(with <= CAP, "the fleet-wide cap was exceeded: " + with);
        assertEquals(CAP, with, "the cap is reached (36 callers want more)");
    }

    /** The most requests the server saw at once when 3 workers x 12 callers send 3 requests each. */
    private int maxInFlight(boolean fleetCap) throws Exception {
        String run = UUID.randomUUID().toString();
        try (ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(),
                Faults.none().withLatency(Duration.ofMillis(150)))) {
            List<FleetLimiter> fleets = new ArrayList<>();
            List<LlmGateway> gateways = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                FleetLimiter fleet = fleetCap ? new JdbcFleetLimiter(URL, CAP, Duration.ofSeconds(10)) : FleetLimiter.none();
                fleets.add(fleet);
                gateways.add(gateway(w, fleet));
            }
            ExecutorService callers = Executors.newFixedThreadPool(36);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < 3; w++) {
                    for (int t = 0; t < 12; t++) {
                        LlmGateway gateway = gateways.get(w);
                        String caller = w + "-" + t;
                        done.add(callers.submit(() -> {
                            for (int i = 0; i < 3; i++) {
                                gateway.fetch(call(server, run + " " + caller + " " + i), 1, null, "campaign");
                            }
                            return null;
                        }));
                    }
                }
                for (Future<?> f : done) {
                    f.get(2, TimeUnit.MINUTES);
                }
            } finally {
                callers.shutdownNow();
                fleets.forEach(FleetLimiter::close);
                if (fleetCap) {
                    forget(server);
                }
            }
            assertEquals(108, server.completionsServed());
            return server.maxConcurrentRequests();
        }
    }

    /**
     * Campaign A has 16 callers on two workers, campaign B 4 on a third; all share one endpoint with a fleet cap of
     * 4. With fair shares B gets about half the requests while both are backlogged; with one key for both (no
     * fairness) about its share of the callers, a fifth.
     */
    @Test
    void twoCampaignsSharingAnEndpointGetFairShares() throws Exception {
        double unfair = shareOfB(false);
        double fair = shareOfB(true);
        System.out.printf("fairness: campaign A 16 callers, B 4, fleet cap %d: B's share of the requests %.3f with "
                + "per-campaign keys, %.3f with one key for both%n", CAP, fair, unfair);
        assertTrue(fair >= 0.4 && fair <= 0.6, "B's share with fair shares: " + fair);
    }

    /** B's share of the first 160 requests answered while both campaigns keep asking. */
    private double shareOfB(boolean perCampaignKeys) throws Exception {
        String run = UUID.randomUUID().toString();
        AtomicLong a = new AtomicLong(), b = new AtomicLong();
        AtomicInteger total = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        try (ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(),
                Faults.none().withLatency(Duration.ofMillis(100)))) {
            List<FleetLimiter> fleets = new ArrayList<>();
            ExecutorService callers = Executors.newFixedThreadPool(20);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < 3; w++) {
                    FleetLimiter fleet = new JdbcFleetLimiter(URL, CAP, Duration.ofSeconds(10));
                    fleets.add(fleet);
                    LlmGateway gateway = gateway(w, fleet);
                    boolean campaignB = w == 2;
                    String key = perCampaignKeys ? (campaignB ? "campaign-b" : "campaign-a") : "one-key";
                    for (int t = 0; t < (campaignB ? 4 : 8); t++) {
                        String caller = w + "-" + t;
                        done.add(callers.submit(() -> {
                            for (int i = 0; !stop.get(); i++) {
                                gateway.fetch(call(server, run + " " + caller + " " + i), 1, null, key);
                                if (total.incrementAndGet() <= 160) {
                                    (campaignB ? b : a).incrementAndGet();
                                } else {
                                    stop.set(true);
                                }
                            }
                            return null;
                        }));
                    }
                }
                for (Future<?> f : done) {
                    f.get(2, TimeUnit.MINUTES);
                }
            } finally {
                stop.set(true);
                callers.shutdownNow();
                fleets.forEach(FleetLimiter::close);
                forget(server);
            }
            assertTrue(server.maxConcurrentRequests() <= CAP, "cap exceeded: " + server.maxConcurrentRequests());
        }
        return (double) b.get() / (a.get() + b.get());
    }

    /**
     * A worker that dies holding a permit (its renewals stop, nothing gives the slot back) blocks the slot for one
     * lease; then another worker gets it.
     */
    @Test
    void aDeadWorkersPermitComesBackAfterItsLease() throws Exception {
        String endpoint = "http://dead-worker.invalid/" + UUID.randomUUID() + "/v1";
        JdbcFleetLimiter dying = new JdbcFleetLimiter(URL, 1, Duration.ofMillis(1500));
        dying.acquire(endpoint, "c");
        dying.close(); // stops renewing; the permit is not released, as with a SIGKILL
        try (JdbcFleetLimiter survivor = new JdbcFleetLimiter(URL, 1, Duration.ofMillis(1500))) {
            var waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return survivor.acquire(endpoint, "c");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertTrue(!waiting.isDone(), "the slot is still leased to the dead worker");
            waiting.get(30, TimeUnit.SECONDS).close();
        } finally {
            try (Connection c = DriverManager.getConnection(URL);
                 PreparedStatement s = c.prepareStatement("DELETE FROM " + JdbcFleetLimiter.PERMITS + " WHERE endpoint = ?")) {
                s.setString(1, endpoint);
                s.executeUpdate();
            }
        }
    }

    private LlmGateway gateway(int worker, FleetLimiter fleet) {
        return new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(30)),
                new DiskCompletionCache(dir.resolve("cache-" + worker)),
                new EndpointLimiters(AdaptiveConcurrencyLimiter.Settings.of(1, 8)), fleet, Telemetry.none());
    }

    private static ChatCall call(ScriptedLlmServer server, String prompt) {
        return new ChatCall(server.baseUrl(), null, ScriptedLlmServer.MODEL, List.of(new ChatCall.Message("user", prompt)),
                null, null, null, 0);
    }

    /** The permit rows of this test's endpoint (a fresh port each time) are of no use to anyone after it. */
    private static void forget(ScriptedLlmServer server) throws Exception {
        try (Connection c = DriverManager.getConnection(URL)) {
            for (String table : List.of(JdbcFleetLimiter.PERMITS, JdbcFleetLimiter.WAITERS)) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM " + table + " WHERE endpoint = ?")) {
                    s.setString(1, server.baseUrl());
                    s.executeUpdate();
                }
            }
        }
    }
}
