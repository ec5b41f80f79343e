package dev.autoif.activities.llm;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Caps the requests in flight to one endpoint and adapts the cap (AIMD): each success adds
 * {@code 1/limit} (about +1 per round of requests), a 429 or a slow answer multiplies it by
 * {@code decreaseFactor} — at most once per observed round-trip, so one burst of rejections counts
 * once — always within [{@code floor}, {@code ceiling}], and the floor is at least 1.
 *
 * <p>"Slow" is judged per unit of work (completion tokens), because a campaign mixes 2,000-token
 * verifier completions with 5-token judge labels: an answer is slow when its latency per unit is
 * above {@code latencyTolerance} x the baseline per unit AND it took {@code latencySlack} longer
 * than the baseline predicts — so the scheduling noise of a busy client (milliseconds) is never
 * mistaken for an overloaded endpoint (seconds). A slow answer decreases the cap only when a request
 * sent after the first slow answer of the run is slow too: a stall of this client (a GC pause, a
 * CPU-starved worker) makes every request in flight late at once and is over by the next round, while
 * an endpoint that queues stays slow (a cap of 256 cut once takes 77 rounds to come back).
 *
 * <p>Never stalls: when {@code throttlesBeforeCoolDown} 429s in a row arrive at the floor, the
 * endpoint gets a cool-down (no new requests for {@code coolDownBase}, doubling per failed probe up
 * to {@code coolDownMax}); after it exactly one probe request goes out; its success ends the
 * cool-down, its 429 starts a longer one. Any success ends a cool-down.
 *
 * <p>The clock is injected (nanoseconds), so the logic is tested without sleeping.
 */
public final class AdaptiveConcurrencyLimiter {

    public record Settings(int floor, int ceiling, int initial, double decreaseFactor, double latencyTolerance,
                           Duration latencySlack, Duration coolDownBase, Duration coolDownMax, int throttlesBeforeCoolDown) {
        public Settings {
            if (floor < 1 || ceiling < floor) {
                throw new IllegalArgumentException("need 1 <= floor <= ceiling, got floor " + floor + ", ceiling " + ceiling);
            }
            if (decreaseFactor <= 0 || decreaseFactor >= 1) {
                throw new IllegalArgumentException("decreaseFactor must be in (0, 1)");
            }
            initial = Math.max(floor, Math.min(ceiling, initial));
        }

        /** Starts at the ceiling (the worker's configured concurrency) and backs off on evidence. */
        public static Settings of(int floor, int ceiling) {
            return new Settings(floor, ceiling, ceiling, 0.7, 3.0, Duration.ofSeconds(1), Duration.ofMillis(500),
                    Duration.ofSeconds(30), 3);
        }
    }

    /** A right to send one request; report how it ended exactly once. */
    public final class Permit {
        private long startedAt;
        private final boolean probe;
        private boolean released;

        private Permit(long startedAt, boolean probe) {
            this.startedAt = startedAt;
            this.probe = probe;
        }

        public boolean probe() {
            return probe;
        }

        /** The request leaves only now (it waited for a fleet-wide permit): its latency is counted from here. */
        public void sending() {
            synchronized (AdaptiveConcurrencyLimiter.this) {
                startedAt = nanoClock.getAsLong();
            }
        }

        /** The endpoint answered (one unit of work). */
        public void success() {
            success(1);
        }

        /** The endpoint answered with {@code workUnits} units of work (completion tokens): latency is judged per unit. */
        public void success(long workUnits) {
            release(this, Outcome.SUCCESS, Math.max(1, workUnits));
        }

        /** The endpoint said 429/503: too many requests. */
        public void throttled() {
            release(this, Outcome.THROTTLED, 1);
        }

        /** Any other failure (5xx, timeout, reset): says nothing about load; the slot is freed. */
        public void failed() {
            release(this, Outcome.FAILED, 1);
        }
    }

    private enum Outcome { SUCCESS, THROTTLED, FAILED }

    private final Settings settings;
    private final LongSupplier nanoClock;
    private double limit;
    private int inFlight;
    /** Request-nanoseconds spent in flight, and nanoseconds with at least one request in flight, up to lastChange. */
    private long inFlightNanos, busyNanos, lastChange;
    private double baselineNanos = Double.NaN;
    private long lastDecreaseAt = Long.MIN_VALUE;
    /** When the current run of slow answers began (the first one arrived), or Long.MIN_VALUE outside one. */
    private long slowSince = Long.MIN_VALUE;
    private int consecutiveThrottles;
    private boolean coolingDown;
    private boolean probeInFlight;
    private long coolDownUntil;
    private int failedProbes;

    public AdaptiveConcurrencyLimiter(Settings settings, LongSupplier nanoClock) {
        this.settings = settings;
        this.nanoClock = nanoClock;
        this.limit = settings.initial();
        this.lastChange = nanoClock.getAsLong();
    }

    public AdaptiveConcurrencyLimiter(Settings settings) {
        this(settings, System::nanoTime);
    }

    /** A permit now, or empty if the cap is reached or the endpoint is cooling down. */
    public synchronized Optional<Permit> tryAcquire() {
        long now = nanoClock.getAsLong();
        if (coolingDown) {
            if (now < coolDownUntil || probeInFlight) {
                return Optional.empty();
            }
            probeInFlight = true;
            countInFlight(now, +1);
            return Optional.of(new Permit(now, true));
        }
        if (inFlight >= permits()) {
            return Optional.empty();
        }
        countInFlight(now, +1);
        return Optional.of(new Permit(now, false));
    }

    /**
     * Waits for a permit: woken when one is released (one waiter per freed slot; all of them when the cap rose or a
     * cool-down ended), or when a cool-down may have ended.
     */
    public synchronized Permit acquire() throws InterruptedException {
        while (true) {
            Optional<Permit> p = tryAcquire();
            if (p.isPresent()) {
                return p.get();
            }
            long waitMillis = 1000; // only bounds a lost wake-up
            if (coolingDown && !probeInFlight) {
                waitMillis = Math.max(1, Duration.ofNanos(coolDownUntil - nanoClock.getAsLong()).toMillis() + 1);
            }
            wait(Math.min(waitMillis, 1000));
        }
    }

    private synchronized void release(Permit p, Outcome outcome, long workUnits) {
        if (p.released) {
            return;
        }
        p.released = true;
        int permitsBefore = permits();
        boolean wasCoolingDown = coolingDown;
        long now = nanoClock.getAsLong();
        countInFlight(now, -1);
        long latency = now - p.startedAt;
        if (p.probe) {
            probeInFlight = false;
        }
        switch (outcome) {
            case SUCCESS -> {
                consecutiveThrottles = 0;
                failedProbes = 0;
                coolingDown = false;
                double perUnit = (double) latency / workUnits;
                boolean slow = !Double.isNaN(baselineNanos) && perUnit > settings.latencyTolerance() * baselineNanos
                        && latency - baselineNanos * workUnits > settings.latencySlack().toNanos();
                updateBaseline(perUnit);
                boolean sentDuringSlowRun = slowSince != Long.MIN_VALUE && p.startedAt >= slowSince;
                if (!slow) {
                    if (sentDuringSlowRun) {
                        slowSince = Long.MIN_VALUE; // sent after the slow answers and fast: they were a stall
                    }
                    limit = Math.min(settings.ceiling(), limit + 1.0 / Math.max(1.0, limit));
                } else if (sentDuringSlowRun) {
                    decrease(now); // still slow a round later: the endpoint is queueing
                    slowSince = now; // the next decrease needs a request sent after this one
                } else if (slowSince == Long.MIN_VALUE) {
                    slowSince = now;
                }
            }
            case THROTTLED -> {
                consecutiveThrottles++;
                if (p.probe) {
                    failedProbes++;
                    startCoolDown(now);
                } else {
                    decrease(now);
                    if (!coolingDown && limit <= settings.floor()
                            && consecutiveThrottles >= settings.throttlesBeforeCoolDown()) {
                        failedProbes = 0;
                        startCoolDown(now);
                    }
                }
            }
            case FAILED -> { }
        }
        // Waking every waiter on every release cost hundreds of wake-ups per request at a cap of 256: one slot was
        // freed, so one waiter, unless the cap rose or a cool-down ended.
        if (permits() > permitsBefore || wasCoolingDown && !coolingDown) {
            notifyAll();
        } else {
            notify();
        }
    }

    /** The smallest latency per unit seen, drifting slowly up so that a lasting change of workload is learned. */
    private void updateBaseline(double latency) {
        if (Double.isNaN(baselineNanos) || latency < baselineNanos) {
            baselineNanos = latency;
        } else {
            baselineNanos += (latency - baselineNanos) * 0.02;
        }
    }

    /** Multiplicative decrease, once per round-trip: requests already in flight when it happened do not count again. */
    private void decrease(long now) {
        long window = Double.isNaN(baselineNanos) ? 0 : (long) baselineNanos;
        if (lastDecreaseAt != Long.MIN_VALUE && now - lastDecreaseAt < window) {
            return;
        }
        lastDecreaseAt = now;
        limit = Math.max(settings.floor(), limit * settings.decreaseFactor());
    }

    private void startCoolDown(long now) {
        coolingDown = true;
        long base = settings.coolDownBase().toNanos();
        long wait = base << Math.min(failedProbes, 20);
        coolDownUntil = now + Math.min(settings.coolDownMax().toNanos(), wait);
    }

    /** Requests allowed in flight now (0 while cooling down, except the probe). */
    public synchronized int permits() {
        return coolingDown ? 0 : Math.max(settings.floor(), (int) Math.floor(limit));
    }

    /** The most requests it ever allows in flight (AUTOIF_LLM_CONCURRENCY). */
    public int ceiling() {
        return settings.ceiling();
    }

    public synchronized double limit() {
        return limit;
    }

    public synchronized int inFlight() {
        return inFlight;
    }

    private void countInFlight(long now, int change) {
        inFlightNanos += inFlight * (now - lastChange);
        if (inFlight > 0) {
            busyNanos += now - lastChange;
        }
        lastChange = now;
        inFlight += change;
    }

    /** How many requests were in flight, summed over time, so far: two readings give the average between them. */
    public synchronized InFlightTotals inFlightTotals() {
        countInFlight(nanoClock.getAsLong(), 0);
        return new InFlightTotals(lastChange, inFlightNanos, busyNanos);
    }

    /**
     * @param atNanos       when this was read (the limiter's clock)
     * @param inFlightNanos the requests in flight integrated over time (request-nanoseconds)
     * @param busyNanos     the time with at least one request in flight
     */
    public record InFlightTotals(long atNanos, long inFlightNanos, long busyNanos) {
        /** The average number in flight between {@code earlier} and this reading. */
        public double averageSince(InFlightTotals earlier) {
            long elapsed = atNanos - earlier.atNanos;
            return elapsed <= 0 ? 0 : (double) (inFlightNanos - earlier.inFlightNanos) / elapsed;
        }

        /** The average number in flight while at least one was, between {@code earlier} and this reading. */
        public double averageWhileBusySince(InFlightTotals earlier) {
            long busy = busyNanos - earlier.busyNanos;
            return busy <= 0 ? 0 : (double) (inFlightNanos - earlier.inFlightNanos) / busy;
        }
    }

    public synchronized boolean coolingDown() {
        return coolingDown;
    }

    /** When the current cool-down ends (clock nanoseconds); meaningful only while cooling down. */
    public synchronized long coolDownUntil() {
        return coolDownUntil;
    }
}
