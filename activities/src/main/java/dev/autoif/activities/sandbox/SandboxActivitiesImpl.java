package dev.autoif.activities.sandbox;

import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.store.StoredCompletions;
import dev.autoif.activities.telemetry.Telemetry;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import dev.autoif.workflows.activities.sandbox.SandboxActivities;
import dev.autoif.workflows.activities.sandbox.StoredEvaluationBatch;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import io.opentelemetry.context.Context;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3/S7 sandbox activity. Concurrent {@code evaluate} calls of one worker are coalesced: a
 * round opened by a call waits up to {@link Coalescing#window()} for others (of the same campaign,
 * unless {@link Coalescing#mixCampaigns()}, and with the same per-call timeout) to join, up to
 * {@link Coalescing#maxGroups()} batches and {@link Coalescing#maxCells()} function x input cells,
 * and then runs all of them as separate groups of ONE container ({@link DockerSandbox#runGroups}),
 * handing each caller its own rows. A container start (~0.5 s) is then paid once per round instead
 * of once per instruction. The groups stay independent matrices inside the container, each under
 * a uid of its own; when the shared container fails as a whole, every batch of the round is re-run
 * in a container of its own, and so is each batch whose rows another group may have disturbed
 * (see {@link DockerSandbox.GroupResult}), so each caller gets its own result or its own failure
 * (and Temporal retries it alone).
 *
 * <p>The round runs on a thread of its own, not on any caller's: every caller waits for its rows
 * heartbeating its own activity, so a caller that is cancelled or whose heartbeat fails leaves
 * alone and the others still get their rows. A round whose callers have all left stops its
 * container. At most {@link Coalescing#containers()} containers run at once; a round keeps
 * accepting joiners while it waits for one. A lone call gets exactly the rows (and labels) it got
 * before.
 */
public class SandboxActivitiesImpl implements SandboxActivities {
    private static final Logger log = LoggerFactory.getLogger(SandboxActivitiesImpl.class);
    private static final long HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final ThreadFactory ROUND_THREADS = Thread.ofPlatform().daemon().name("sandbox-round-", 0).factory();

    /**
     * @param window       how long the first call of a round waits for others; zero turns coalescing off
     * @param maxGroups    batches per container at most (1 turns coalescing off)
     * @param maxCells     functions x inputs per container at most (a single bigger batch still runs, alone)
     * @param containers   containers running at once in this worker
     * @param mixCampaigns whether batches of different campaigns may share a container (the operator's opt-in)
     */
    public record Coalescing(Duration window, int maxGroups, long maxCells, int containers, boolean mixCampaigns) {
        /** Containers are never shared between campaigns. */
        public Coalescing(Duration window, int maxGroups, long maxCells, int containers) {
            this(window, maxGroups, maxCells, containers, false);
        }

        public static Coalescing off(int containers) {
            return new Coalescing(Duration.ZERO, 1, Long.MAX_VALUE, containers);
        }

        public static Coalescing defaults(int containers) {
            return new Coalescing(Duration.ofMillis(250), 64, 400_000, containers);
        }

        boolean enabled() {
            return !window.isZero() && !window.isNegative() && maxGroups > 1;
        }

        /** Sandbox activities a worker should run at once so that rounds can fill up. */
        public int activitySlots() {
            return enabled() ? Math.max(1, containers) * maxGroups : Math.max(1, containers);
        }
    }

    private final DockerSandbox sandbox;
    private final Coalescing coalescing;
    private final Semaphore containers;
    private final Telemetry telemetry;
    private final ArtifactStores stores;
    private final Object lock = new Object();
    /** The rounds that accept joiners, one per campaign (or one for all when mixing) and per-call timeout; guarded by lock. */
    private final Map<RoundKey, Round> open = new HashMap<>();

    /** Without coalescing: every call runs its own container (the worker's slot limit bounds them). */
    public SandboxActivitiesImpl(DockerSandbox sandbox) {
        this(sandbox, Coalescing.off(Integer.MAX_VALUE));
    }

    public SandboxActivitiesImpl(DockerSandbox sandbox, Coalescing coalescing) {
        this(sandbox, coalescing, Telemetry.none());
    }

    /** Campaigns on disk only. */
    public SandboxActivitiesImpl(DockerSandbox sandbox, Coalescing coalescing, Telemetry telemetry) {
        this(sandbox, coalescing, telemetry, ArtifactStores.filesystemOnly());
    }

    /** @param stores opens the campaigns' stores, where S7 reads the responses S6 stored */
    public SandboxActivitiesImpl(DockerSandbox sandbox, Coalescing coalescing, Telemetry telemetry, ArtifactStores stores) {
        this.sandbox = sandbox;
        this.coalescing = coalescing;
        this.telemetry = telemetry;
        this.stores = stores;
        this.containers = new Semaphore(Math.max(1, Math.min(coalescing.containers(), 1 << 20)), true);
    }

    @Override
    public EvaluationResult evaluate(EvaluationBatch batch) {
        var context = Activity.getExecutionContext();
        return evaluate(batch, () -> context.heartbeat(null));
    }

    @Override
    public EvaluationResult evaluateStoredResponses(StoredEvaluationBatch batch) {
        return evaluate(new EvaluationBatch(batch.campaignId(), batch.label(), batch.functions(),
                StoredCompletions.texts(stores, batch.inputs()), batch.timeoutSeconds()));
    }

    /**
     * The activity's work with an explicit heartbeat (what tests and the benchmark call). A
     * heartbeat that throws (the activity was cancelled or timed out) ends this call only.
     */
    public EvaluationResult evaluate(EvaluationBatch batch, Runnable heartbeat) {
        if (!coalescing.enabled()) {
            return alone(batch, heartbeat);
        }
        Pending me = new Pending(batch);
        join(me);
        List<FunctionEvaluation> rows = await(me, heartbeat);
        return rows != null ? new EvaluationResult(rows) : alone(batch, heartbeat);
    }

    private EvaluationResult alone(EvaluationBatch batch, Runnable heartbeat) {
        acquire(heartbeat);
        try {
            return sandbox.evaluate(batch, heartbeat);
        } finally {
            containers.release();
        }
    }

    private static long cells(EvaluationBatch b) {
        return (long) b.functions().size() * b.inputs().size();
    }

    private record RoundKey(String campaign, int timeoutSeconds) {}

    private RoundKey keyOf(EvaluationBatch b) {
        return new RoundKey(coalescing.mixCampaigns() ? null : Objects.requireNonNullElse(b.campaignId(), ""), b.timeoutSeconds());
    }

    /** Joins the open round of its kind if it fits, else opens a new one (and starts its thread). */
    private void join(Pending p) {
        RoundKey key = keyOf(p.batch);
        synchronized (lock) {
            Round r = open.get(key);
            if (r != null && r.fits(p)) {
                r.add(p);
                if (r.members.size() >= coalescing.maxGroups()) {
                    open.remove(key);
                    lock.notifyAll();
                }
                return;
            }
            if (r != null) {
                open.remove(key); // full for this batch: seal it, its thread runs it as soon as it can
                lock.notifyAll();
            }
            Round fresh = new Round(key);
            fresh.add(p);
            open.put(key, fresh);
            // The round runs in the trace of the activity that opened it, so its container span has a parent.
            ROUND_THREADS.newThread(Context.current().wrap(fresh::run)).start();
        }
    }

    /**
     * Waits for this caller's rows, heartbeating; null means: run alone. If the heartbeat throws or
     * the thread is interrupted, this caller leaves its round (which carries on for the others).
     */
    private List<FunctionEvaluation> await(Pending p, Runnable heartbeat) {
        try {
            while (true) {
                try {
                    return p.result.get(HEARTBEAT_NANOS, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    heartbeat.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw ApplicationFailure.newFailure("interrupted while waiting for a shared sandbox run", FailureTypes.SANDBOX_INTERRUPTED);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(e.getCause());
                }
            }
        } catch (RuntimeException | Error e) {
            p.round.leave(p);
            throw e;
        }
    }

    /** Takes a container permit, heartbeating while others hold them all. */
    private void acquire(Runnable heartbeat) {
        try {
            while (!containers.tryAcquire(HEARTBEAT_NANOS, TimeUnit.NANOSECONDS)) {
                heartbeat.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted while waiting for a sandbox container", FailureTypes.SANDBOX_INTERRUPTED);
        }
    }

    private static final class Pending {
        final EvaluationBatch batch;
        final CompletableFuture<List<FunctionEvaluation>> result = new CompletableFuture<>();
        Round round;

        Pending(EvaluationBatch batch) {
            this.batch = batch;
        }
    }

    /** Thrown into a round's container run when every caller of the round has left. */
    private static final class Abandoned extends RuntimeException {
        Abandoned() {
            super("every caller of the shared sandbox run has left", null, false, false);
        }
    }

    private final class Round {
        final RoundKey key;
        final List<Pending> members = new ArrayList<>(); // guarded by lock
        final long opened = System.nanoTime();
        long cells; // guarded by lock
        boolean sealed; // guarded by lock: no one joins or is dropped from the container any more

        Round(RoundKey key) {
            this.key = key;
        }

        void add(Pending p) {
            p.round = this;
            members.add(p);
            cells += cells(p.batch);
        }

        boolean fits(Pending p) {
            return members.size() < coalescing.maxGroups() && cells + cells(p.batch) <= coalescing.maxCells();
        }

        /** A caller that stopped waiting: it is dropped if the container has not started; the rest carry on. */
        void leave(Pending p) {
            synchronized (lock) {
                p.result.cancel(false);
                if (!sealed && members.remove(p)) {
                    cells -= cells(p.batch);
                    lock.notifyAll();
                }
            }
        }

        boolean everyoneLeft() {
            synchronized (lock) {
                return members.stream().allMatch(m -> m.result.isCancelled());
            }
        }

        /** On the round's own thread: waits out the window (and for a container), seals the round, runs it, hands out rows. */
        void run() {
            long until = opened + coalescing.window().toNanos();
            boolean permit = false;
            List<Pending> batch;
            try {
                synchronized (lock) {
                    while (open.get(key) == this && !members.isEmpty()) {
                        long now = System.nanoTime();
                        if (now >= until && (permit || (permit = containers.tryAcquire()))) {
                            break;
                        }
                        long wait = now < until ? until - now : TimeUnit.MILLISECONDS.toNanos(20);
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
                    }
                    if (open.get(key) == this) {
                        open.remove(key);
                    }
                    sealed = true;
                    batch = List.copyOf(members);
                }
                if (batch.isEmpty()) {
                    return;
                }
                if (!permit) {
                    containers.acquire();
                    permit = true;
                }
                if (everyoneLeft()) {
                    return;
                }
                telemetry.sandboxRound(batch.size(), System.nanoTime() - opened);
                runSealed(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                synchronized (lock) {
                    for (Pending p : members) p.result.complete(null);
                }
            } finally {
                if (permit) containers.release();
            }
        }

        /** Members' heartbeats are their own; the container only checks that someone still waits. */
        private void stillWanted() {
            if (everyoneLeft()) throw new Abandoned();
        }

        private void runSealed(List<Pending> batch) {
            if (batch.size() == 1) {
                try {
                    batch.get(0).result.complete(sandbox.evaluate(batch.get(0).batch, this::stillWanted).rows());
                } catch (RuntimeException e) {
                    batch.get(0).result.completeExceptionally(e);
                }
                return;
            }
            List<DockerSandbox.Group> groups = batch.stream()
                    .map(p -> new DockerSandbox.Group(p.batch.functions(), p.batch.inputs())).toList();
            String campaign = batch.stream().map(p -> p.batch.campaignId()).distinct().count() == 1
                    ? batch.get(0).batch.campaignId() : "mixed";
            List<DockerSandbox.GroupResult> results;
            try {
                results = sandbox.runGroups(campaign, "coalesced-" + batch.size() + "-" + batch.get(0).batch.label(), groups,
                        key.timeoutSeconds(), this::stillWanted);
            } catch (RuntimeException e) {
                // Whatever broke the shared container, each batch now gets a container of its own
                // (in its own caller's thread), so one bad batch fails only itself.
                // With the engine down every run fails alike: the activity failures say so (rate-limited), not this.
                boolean engineDown = e instanceof io.temporal.failure.ApplicationFailure af
                        && FailureTypes.SANDBOX_ENGINE_DOWN.equals(af.getType());
                if (engineDown) {
                    log.debug("shared sandbox run of {} batches failed ({}); running them one by one", batch.size(), e.toString());
                } else if (!(e instanceof Abandoned)) {
                    log.warn("shared sandbox run of {} batches failed ({}); running them one by one", batch.size(), e.toString());
                }
                if (!(e instanceof Abandoned)) {
                    telemetry.sandboxReruns(batch.size());
                }
                for (Pending p : batch) p.result.complete(null);
                return;
            }
            int disturbed = 0;
            for (int i = 0; i < batch.size(); i++) {
                DockerSandbox.GroupResult r = results.get(i);
                // Rows another group may have caused are not this batch's: it runs again, alone.
                batch.get(i).result.complete(r.disturbed() ? null : r.rows());
                if (r.disturbed()) disturbed++;
            }
            if (disturbed > 0) {
                telemetry.sandboxReruns(disturbed);
                log.info("{} of {} batches of a shared sandbox run may have been disturbed by another; running them alone",
                        disturbed, batch.size());
            }
        }
    }
}
