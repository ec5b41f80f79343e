package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The AIMD logic on an injected clock: no sleeping, no timing assumptions. */
class AdaptiveConcurrencyLimiterTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private AdaptiveConcurrencyLimiter limiter(int floor, int ceiling, int initial) {
        return new AdaptiveConcurrencyLimiter(new AdaptiveConcurrencyLimiter.Settings(floor, ceiling, initial, 0.5, 3.0,
                Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(8), 3), clock::get);
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    private AdaptiveConcurrencyLimiter.Permit take(AdaptiveConcurrencyLimiter l) {
        return l.tryAcquire().orElseThrow(() -> new AssertionError("no permit: limit " + l.limit() + ", in flight " + l.inFlight()));
    }

    /** Takes every permit there is, lets 100 ms pass, reports them all successful; returns how many there were. */
    private int round(AdaptiveConcurrencyLimiter l) {
        List<AdaptiveConcurrencyLimiter.Permit> held = new ArrayList<>();
        for (var p = l.tryAcquire(); p.isPresent(); p = l.tryAcquire()) {
            held.add(p.get());
        }
        assertEquals(held.size(), l.inFlight());
        advance(Duration.ofMillis(100));
        held.forEach(AdaptiveConcurrencyLimiter.Permit::success);
        return held.size();
    }

    @Test
    void capHoldsAndSuccessesRaiseItAdditivelyUpToTheCeiling() {
        AdaptiveConcurrencyLimiter l = limiter(1, 8, 4);
        assertEquals(4, round(l), "the cap holds: four in flight, the fifth waits");
        assertEquals(4.0 + 0.25, 4.25, 0);
        assertTrue(l.limit() > 4.9 && l.limit() < 5, "+1/limit per success, about +1 per round: " + l.limit());
        assertEquals(4, round(l));
        assertEquals(5, round(l), "one slot more after a round of successes");
        for (int i = 0; i < 100; i++) round(l);
        assertEquals(8.0, l.limit(), 1e-9, "never above the ceiling");
        assertEquals(8, round(l));
    }

    @Test
    void a429HalvesTheLimitOncePerRoundTripAndNeverBelowTheFloor() {
        AdaptiveConcurrencyLimiter l = limiter(2, 8, 8);
        AdaptiveConcurrencyLimiter.Permit first = take(l);
        advance(Duration.ofMillis(100));
        first.success(); // baseline latency 100 ms
        List<AdaptiveConcurrencyLimiter.Permit> burst = List.of(take(l), take(l), take(l));
        advance(Duration.ofMillis(10));
        burst.forEach(AdaptiveConcurrencyLimiter.Permit::throttled);
        assertEquals(4.0, l.limit(), 1e-9, "one burst of 429s from requests in flight together counts once");
        advance(Duration.ofMillis(200));
        AdaptiveConcurrencyLimiter.Permit ok = take(l);
        advance(Duration.ofMillis(100));
        ok.success();
        assertEquals(4.25, l.limit(), 1e-9);
        advance(Duration.ofMillis(200));
        take(l).throttled();
        assertEquals(2.125, l.limit(), 1e-9);
        advance(Duration.ofMillis(200));
        take(l).throttled();
        assertEquals(2.0, l.limit(), 1e-9, "the floor holds");
        assertEquals(2, l.permits());
        assertFalse(l.coolingDown(), "two 429s in a row");
        advance(Duration.ofMillis(200));
        take(l).throttled();
        assertEquals(2.0, l.limit(), 1e-9);
        assertTrue(l.coolingDown(), "three 429s in a row at the floor: cool down");
    }

    @Test
    void risingLatencyDecreasesOtherFailuresAreNeutral() {
        AdaptiveConcurrencyLimiter l = limiter(1, 8, 8);
        AdaptiveConcurrencyLimiter.Permit p = take(l);
        advance(Duration.ofMillis(100));
        p.success();
        assertEquals(8.0, l.limit(), 1e-9);
        p = take(l);
        advance(Duration.ofMillis(250));
        p.success();
        assertEquals(8.0, l.limit(), 1e-9, "2.5x the baseline is within tolerance (3x)");
        p = take(l);
        advance(Duration.ofMillis(400));
        p.success();
        assertEquals(8.0, l.limit(), 1e-9, "4x the baseline once: maybe a stall of this client, wait for the next");
        p = take(l);
        advance(Duration.ofMillis(400));
        p.success();
        assertEquals(4.0, l.limit(), 1e-9, "a request sent after it slow too: the endpoint is queueing, back off");
        p = take(l);
        advance(Duration.ofSeconds(30));
        p.failed();
        assertEquals(4.0, l.limit(), 1e-9, "a 500 or a timeout says nothing about load");
        assertEquals(0, l.inFlight());
    }

    /** A campaign mixes long and short completions: latency counts per completion token, and noise below the slack is ignored. */
    @Test
    void latencyIsJudgedPerUnitOfWorkAndAboveTheSlack() {
        AdaptiveConcurrencyLimiter l = limiter(1, 8, 8);
        AdaptiveConcurrencyLimiter.Permit p = take(l);
        advance(Duration.ofMillis(100));
        p.success(10); // baseline 10 ms per token
        p = take(l);
        advance(Duration.ofMillis(2000));
        p.success(200);
        assertEquals(8.0, l.limit(), 1e-9, "20x the time for 20x the tokens is not overload");
        p = take(l);
        advance(Duration.ofMillis(40));
        p.success(1);
        assertEquals(8.0, l.limit(), 1e-9, "4x per token, but only 30 ms late: below the 50 ms slack, client noise");
        p = take(l);
        advance(Duration.ofMillis(400));
        p.success(10);
        assertEquals(8.0, l.limit(), 1e-9, "4x per token and 300 ms late, once");
        p = take(l);
        advance(Duration.ofMillis(400));
        p.success(10);
        assertEquals(4.0, l.limit(), 1e-9, "and again for a request sent after: the endpoint is queueing");
    }

    /**
     * A stall of the client (GC pause, CPU starvation) makes every request in flight late at once; the requests sent
     * after it are on time again, so the cap stays. Had the endpoint been queueing, they would have been late too.
     */
    @Test
    void aStallOfTheClientIsNotAnOverloadedEndpoint() {
        AdaptiveConcurrencyLimiter l = limiter(1, 8, 8);
        AdaptiveConcurrencyLimiter.Permit p = take(l);
        advance(Duration.ofMillis(100));
        p.success(); // baseline 100 ms
        List<AdaptiveConcurrencyLimiter.Permit> inFlight = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            inFlight.add(take(l));
        }
        advance(Duration.ofMillis(1000));
        inFlight.forEach(AdaptiveConcurrencyLimiter.Permit::success);
        assertEquals(8.0, l.limit(), 0.01, "eight answers 10x late together: one stall, not eight signals");
        p = take(l);
        advance(Duration.ofMillis(100));
        p.success();
        assertEquals(8.0, l.limit(), 1e-9, "the next request on time: the stall is over");
        p = take(l);
        advance(Duration.ofMillis(1000));
        p.success();
        assertEquals(8.0, l.limit(), 1e-9, "a new slow run starts over: one slow answer alone does not decrease");
        AdaptiveConcurrencyLimiter.Permit sentBefore = take(l);
        p = take(l);
        advance(Duration.ofMillis(1000));
        p.success();
        assertEquals(4.0, l.limit(), 1e-9, "confirmed by a request sent after it");
        advance(Duration.ofMillis(500));
        sentBefore.success();
        assertEquals(4.0, l.limit(), 1e-9, "sent before the decrease: it says nothing about the new cap");
        p = take(l);
        advance(Duration.ofMillis(1000));
        p.success();
        assertEquals(2.0, l.limit(), 1e-9, "sent after it and slow: decrease again");
    }

    @Test
    void sustained429sCoolDownThenProbeWithBoundedBackoffAndNeverStall() {
        AdaptiveConcurrencyLimiter l = limiter(1, 4, 1);
        for (int i = 0; i < 3; i++) {
            assertFalse(l.coolingDown());
            take(l).throttled();
            advance(Duration.ofMillis(10));
        }
        assertTrue(l.coolingDown(), "three 429s in a row at the floor");
        assertEquals(0, l.permits());
        assertTrue(l.tryAcquire().isEmpty());
        advance(Duration.ofMillis(980));
        assertTrue(l.tryAcquire().isEmpty(), "still cooling down (1 s)");
        advance(Duration.ofMillis(20));
        AdaptiveConcurrencyLimiter.Permit probe = take(l);
        assertTrue(probe.probe());
        assertTrue(l.tryAcquire().isEmpty(), "exactly one probe");
        probe.throttled();
        long[] expected = {2, 4, 8, 8, 8, 8}; // seconds: doubling, capped at 8
        for (long seconds : expected) {
            assertTrue(l.coolingDown());
            assertEquals(Duration.ofSeconds(seconds).toNanos(), l.coolDownUntil() - clock.get());
            advance(Duration.ofSeconds(seconds).minusMillis(1));
            assertTrue(l.tryAcquire().isEmpty());
            advance(Duration.ofMillis(1));
            probe = take(l);
            assertTrue(probe.probe(), "after every cool-down a probe goes out: never stalled");
            probe.throttled();
        }
        advance(Duration.ofSeconds(8));
        probe = take(l);
        advance(Duration.ofMillis(50));
        probe.success();
        assertFalse(l.coolingDown(), "a successful probe ends the cool-down");
        assertEquals(2.0, l.limit(), 1e-9, "and additive increase resumes from the floor");
        AdaptiveConcurrencyLimiter.Permit normal = take(l);
        assertFalse(normal.probe());
        normal.success();
        take(l).throttled();
        assertFalse(l.coolingDown(), "the count of 429s in a row restarted");
    }

    @Test
    void releasingTwiceCountsOnce() {
        AdaptiveConcurrencyLimiter l = limiter(1, 2, 2);
        AdaptiveConcurrencyLimiter.Permit p = take(l);
        take(l);
        p.failed();
        p.failed();
        assertEquals(1, l.inFlight());
    }

    /** Two requests for 10 ms, then one for 10 ms more, then none for 20 ms: 0.75 on average, 1.5 while busy. */
    @Test
    void averagesTheRequestsInFlightOverTime() {
        AdaptiveConcurrencyLimiter l = limiter(1, 8, 8);
        AdaptiveConcurrencyLimiter.InFlightTotals start = l.inFlightTotals();
        AdaptiveConcurrencyLimiter.Permit a = take(l), b = take(l);
        advance(Duration.ofMillis(10));
        a.success();
        advance(Duration.ofMillis(10));
        b.failed();
        advance(Duration.ofMillis(20));
        AdaptiveConcurrencyLimiter.InFlightTotals end = l.inFlightTotals();
        assertEquals(0.75, end.averageSince(start), 1e-9);
        assertEquals(1.5, end.averageWhileBusySince(start), 1e-9);
        assertEquals(0.0, l.inFlightTotals().averageSince(end), 1e-9, "nothing in flight since");
    }
}
