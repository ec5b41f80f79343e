package dev.autoif.activities.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A few {@link WarmContainer}s, each running one batch at a time, so that a batch does not pay a container start.
 * A container is replaced (in the background, so the next batch finds one ready) after {@code recycleAfter} batches,
 * after {@code maxAge}, and at once when a batch fails in it (a crash, an overrun deadline, an unreadable report),
 * leaves anything behind, shows tampering, or has a disturbed group.
 *
 * <p>A group whose warm run was disturbed (another group, or something an earlier batch left, may have caused its
 * rows), and every group of a batch whose warm container failed, is re-run in a throwaway container of its own
 * ({@link DockerSandbox#runGroups}); only that run's rows count. Such a group comes back with
 * {@link DockerSandbox.GroupResult#disturbed()} set, meaning: these rows are from a fresh container, do not cache
 * them. So a verifier that tampers with its container can change no other batch's rows, nor another group's.
 */
public final class WarmSandboxPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmSandboxPool.class);

    private final DockerSandbox sandbox;
    private final String campaignId;
    private final int containers;
    private final int recycleAfter;
    private final Duration maxAge;
    private final Semaphore slots;
    private final LinkedBlockingQueue<WarmContainer> idle = new LinkedBlockingQueue<>();
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong recycled = new AtomicLong();
    private final AtomicLong reruns = new AtomicLong();
    private volatile boolean closed;

    /** {@code containers} batches at once, each in a warm container; starts them now, in the background. */
    public WarmSandboxPool(DockerSandbox sandbox, String campaignId, int containers, int recycleAfter, Duration maxAge) {
        this.sandbox = sandbox;
        this.campaignId = campaignId;
        this.containers = containers;
        this.recycleAfter = recycleAfter;
        this.maxAge = maxAge;
        this.slots = new Semaphore(containers);
        for (int i = 0; i < containers; i++) {
            background.submit(this::startSpare);
        }
    }

    public DockerSandbox sandbox() {
        return sandbox;
    }

    /** Containers replaced so far (after N batches, on age, on failure, on tampering or a disturbed group). */
    public long recycled() {
        return recycled.get();
    }

    /** Containers started and waiting for a batch. */
    public int ready() {
        return idle.size();
    }

    /** Runs in a throwaway container: failed warm batches, and disturbed groups alone. */
    public long reruns() {
        return reruns.get();
    }

    /** Every function on every input of each group, in a warm container; the rows of each group, in order. */
    public List<DockerSandbox.GroupResult> runGroups(List<DockerSandbox.Group> groups, int timeoutSeconds) {
        slots.acquireUninterruptibly();
        try {
            WarmContainer container = idle.poll();
            while (container != null && !container.alive()) { // stopped while it waited: never write to it
                recycle(container);
                container = idle.poll();
            }
            if (container == null) {
                container = sandbox.startWarm(campaignId, maxAge);
            }
            WarmContainer.Outcome outcome;
            try {
                outcome = container.run(groups, timeoutSeconds);
            } catch (RuntimeException e) {
                log.warn("warm sandbox container {} failed a batch ({}); re-running it in a fresh container", container.id(), e.getMessage());
                recycle(container);
                return fresh(groups, timeoutSeconds);
            }
            boolean disturbed = outcome.groups().stream().anyMatch(DockerSandbox.GroupResult::disturbed);
            if (!outcome.clean() || disturbed || container.batches() >= recycleAfter
                    || container.started().plus(maxAge).isBefore(Instant.now())) {
                log.debug("replacing warm sandbox container {} after {} batches (clean: {}, disturbed: {})", container.id(),
                        container.batches(), outcome.clean(), disturbed);
                recycle(container);
            } else {
                park(container);
            }
            List<DockerSandbox.GroupResult> results = new ArrayList<>(outcome.groups());
            for (int g = 0; g < results.size(); g++) {
                if (results.get(g).disturbed()) {
                    results.set(g, alone(groups.get(g), timeoutSeconds));
                }
            }
            return results;
        } finally {
            slots.release();
        }
    }

    /** A failed warm batch, again in a throwaway container; disturbed groups of that run once more, each alone. */
    private List<DockerSandbox.GroupResult> fresh(List<DockerSandbox.Group> groups, int timeoutSeconds) {
        if (groups.size() == 1) {
            return List.of(alone(groups.get(0), timeoutSeconds));
        }
        reruns.incrementAndGet();
        List<DockerSandbox.GroupResult> results = new ArrayList<>();
        List<DockerSandbox.GroupResult> run = sandbox.runGroups(campaignId, "reward-fresh", groups, timeoutSeconds, () -> { });
        for (int g = 0; g < groups.size(); g++) {
            results.add(run.get(g).disturbed() ? alone(groups.get(g), timeoutSeconds)
                    : new DockerSandbox.GroupResult(run.get(g).rows(), true));
        }
        return results;
    }

    private DockerSandbox.GroupResult alone(DockerSandbox.Group group, int timeoutSeconds) {
        reruns.incrementAndGet();
        List<DockerSandbox.GroupResult> run = sandbox.runGroups(campaignId, "reward-alone", List.of(group), timeoutSeconds, () -> { });
        return new DockerSandbox.GroupResult(run.get(0).rows(), true);
    }

    private void recycle(WarmContainer container) {
        recycled.incrementAndGet();
        try {
            background.submit(() -> {
                container.close();
                startSpare();
            });
        } catch (java.util.concurrent.RejectedExecutionException poolClosed) {
            container.close();
        }
    }

    private void startSpare() {
        if (closed) return;
        try {
            park(sandbox.startWarm(campaignId, maxAge));
        } catch (RuntimeException e) {
            log.warn("could not start a warm sandbox container (the next batch will try): {}", e.getMessage());
        }
        if (closed) {
            closeIdle();
        }
    }

    /** Keeps a container for the next batch, unless enough are waiting already. */
    private void park(WarmContainer container) {
        if (closed || idle.size() >= containers) {
            container.close();
        } else {
            idle.offer(container);
        }
    }

    private void closeIdle() {
        for (WarmContainer c; (c = idle.poll()) != null; ) {
            c.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        background.shutdown();
        try {
            background.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeIdle();
    }
}
