package dev.autoif.activities.sandbox;

import dev.autoif.activities.telemetry.Telemetry;
import dev.autoif.workflows.activities.EvaluationBatch;
import dev.autoif.workflows.activities.EvaluationResult;
import dev.autoif.workflows.activities.SandboxActivities;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import io.temporal.activity.Activity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3/S7 sandbox activity. Concurrent {@code evaluate} calls of one worker are coalesced: the
 * first call of a round waits up to {@link Coalescing#window()} for others (with the same per-call
 * timeout) to join, up to {@link Coalescing#maxGroups()} batches and {@link Coalescing#maxCells()}
 * function x input cells, and then runs all of them as separate groups of ONE container
 * ({@link DockerSandbox#evaluateGroups}), handing each caller its own rows. A container start
 * (~0.5 s) is then paid once per round instead of once per instruction. The groups stay
 * independent matrices inside the container; only whole-container failures are shared, and then
 * every batch of the round is re-run in a container of its own, so each caller gets its own
 * result or its own failure (and Temporal retries it alone). Waiting callers keep heartbeating.
 * At most {@link Coalescing#containers()} containers run at once; a round keeps accepting joiners
 * while it waits for one. A lone call gets exactly the rows (and labels) it got before.
 */
public class SandboxActivitiesImpl implements SandboxActivities {
    private static final Logger log = LoggerFactory.getLogger(SandboxActivitiesImpl.class);
    private static final long HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(5);

    /**
     * @param window     how long the first call of a round waits for others; zero turns coalescing off
     * @param maxGroups  batches per container at most (1 turns coalescing off)
     * @param maxCells   functions x inputs per container at most (a single bigger batch still runs, alone)
     * @param containers containers running at once in this worker
     */
    public record Coalescing(Duration window, int maxGroups, long maxCells, int containers) {
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
    private final Object lock = new Object();
    private Round open; // the round that accepts joiners, guarded by lock

    /** Without coalescing: every call runs its own container (the worker's slot limit bounds them). */
    public SandboxActivitiesImpl(DockerSandbox sandbox) {
        this(sandbox, Coalescing.off(Integer.MAX_VALUE));
    }

    public SandboxActivitiesImpl(DockerSandbox sandbox, Coalescing coalescing) {
        this(sandbox, coalescing, Telemetry.none());
    }

    public SandboxActivitiesImpl(DockerSandbox sandbox, Coalescing coalescing, Telemetry telemetry) {
        this.sandbox = sandbox;
        this.coalescing = coalescing;
        this.telemetry = telemetry;
        this.containers = new Semaphore(Math.max(1, Math.min(coalescing.containers(), 1 << 20)), true);
    }

    @Override
    public EvaluationResult evaluate(EvaluationBatch batch) {
        var context = Activity.getExecutionContext();
        return evaluate(batch, () -> context.heartbeat(null));
    }

    /** The activity's work with an explicit heartbeat (what tests and the benchmark call). */
    public EvaluationResult evaluate(EvaluationBatch batch, Runnable heartbeat) {
        if (!coalescing.enabled()) {
            return alone(batch, heartbeat);
        }
        Pending me = new Pending(batch);
        Round round = join(me);
        if (round.leader == me) {
            round.run(heartbeat);
        }
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

    /** Joins the open round if it fits, else opens a new one and leads it. */
    private Round join(Pending p) {
        synchronized (lock) {
            Round r = open;
            if (r != null && r.accepts(p)) {
                r.members.add(p);
                r.cells += cells(p.batch);
                if (r.members.size() >= coalescing.maxGroups()) {
                    open = null;
                    lock.notifyAll();
                }
                return r;
            }
            if (r != null) {
                open = null; // full for this batch: seal it, its leader runs it as soon as it can
                lock.notifyAll();
            }
            Round fresh = new Round(p);
            open = fresh;
            return fresh;
        }
    }

    /** Waits for this caller's rows, heartbeating; null means: run alone (the shared run failed). */
    private List<FunctionEvaluation> await(Pending p, Runnable heartbeat) {
        while (true) {
            try {
                return p.result.get(HEARTBEAT_NANOS, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                heartbeat.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw io.temporal.failure.ApplicationFailure.newFailure("interrupted while waiting for a shared sandbox run",
                        "SandboxInterrupted");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException(e.getCause());
            }
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
            throw io.temporal.failure.ApplicationFailure.newFailure("interrupted while waiting for a sandbox container",
                    "SandboxInterrupted");
        }
    }

    private static final class Pending {
        final EvaluationBatch batch;
        final CompletableFuture<List<FunctionEvaluation>> result = new CompletableFuture<>();

        Pending(EvaluationBatch batch) {
            this.batch = batch;
        }
    }

    private final class Round {
        final Pending leader;
        final List<Pending> members = new ArrayList<>();
        final long opened = System.nanoTime();
        long cells;

        Round(Pending leader) {
            this.leader = leader;
            members.add(leader);
            cells = cells(leader.batch);
        }

        boolean accepts(Pending p) {
            return p.batch.timeoutSeconds() == leader.batch.timeoutSeconds()
                    && members.size() < coalescing.maxGroups()
                    && cells + cells(p.batch) <= coalescing.maxCells();
        }

        /** Leader only: waits out the window (and for a container), seals the round, runs it, hands out rows. */
        void run(Runnable heartbeat) {
            long until = opened + coalescing.window().toNanos();
            long lastBeat = System.nanoTime();
            boolean permit = false;
            try {
                synchronized (lock) {
                    while (open == this) {
                        long now = System.nanoTime();
                        if (now - lastBeat > HEARTBEAT_NANOS) {
                            heartbeat.run();
                            lastBeat = now;
                        }
                        if (now >= until && (permit || (permit = containers.tryAcquire()))) {
                            open = null;
                            break;
                        }
                        long wait = now < until ? until - now : TimeUnit.MILLISECONDS.toNanos(20);
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(wait, HEARTBEAT_NANOS))));
                    }
                }
                if (!permit) {
                    acquire(heartbeat);
                    permit = true;
                }
                List<Pending> batch = List.copyOf(members); // sealed: no one joins any more
                telemetry.sandboxRound(batch.size(), System.nanoTime() - opened);
                runSealed(batch, heartbeat);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                for (Pending p : members) p.result.complete(null);
            } catch (RuntimeException e) {
                for (Pending p : members) p.result.completeExceptionally(e);
            } finally {
                if (permit) containers.release();
            }
        }

        private void runSealed(List<Pending> batch, Runnable heartbeat) {
            if (batch.size() == 1) {
                EvaluationBatch b = batch.get(0).batch;
                try {
                    batch.get(0).result.complete(sandbox.evaluate(b, heartbeat).rows());
                } catch (RuntimeException e) {
                    batch.get(0).result.completeExceptionally(e);
                }
                return;
            }
            List<DockerSandbox.Group> groups = batch.stream()
                    .map(p -> new DockerSandbox.Group(p.batch.functions(), p.batch.inputs())).toList();
            String campaign = batch.stream().map(p -> p.batch.campaignId()).distinct().count() == 1
                    ? leader.batch.campaignId() : "mixed";
            List<List<FunctionEvaluation>> rows;
            try {
                rows = sandbox.evaluateGroups(campaign, "coalesced-" + batch.size() + "-" + leader.batch.label(), groups,
                        leader.batch.timeoutSeconds(), heartbeat);
            } catch (RuntimeException e) {
                // Whatever broke the shared container, each batch now gets a container of its own
                // (in its own caller's thread), so one bad batch fails only itself.
                // With the engine down every run fails alike: the activity failures say so (rate-limited), not this.
                boolean engineDown = e instanceof io.temporal.failure.ApplicationFailure af
                        && dev.autoif.workflows.FailureTypes.SANDBOX_ENGINE_DOWN.equals(af.getType());
                if (engineDown) {
                    log.debug("shared sandbox run of {} batches failed ({}); running them one by one", batch.size(), e.toString());
                } else {
                    log.warn("shared sandbox run of {} batches failed ({}); running them one by one", batch.size(), e.toString());
                }
                telemetry.sandboxReruns(batch.size());
                for (Pending p : batch) p.result.complete(null);
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result.complete(rows.get(i));
            }
        }
    }
}
