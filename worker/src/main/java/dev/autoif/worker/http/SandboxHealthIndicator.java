package dev.autoif.worker.http;

import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.preflight.Preflight;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;

/**
 * /health's "sandbox" entry: whether the Docker engine answers and the verifier image is on it. While the engine is
 * away the worker keeps running (Temporal retries the sandbox activities), and /health says DOWN with what is wrong
 * and how to fix it. Checked at most every 10 s, so that probes cost nothing.
 */
@Singleton
public class SandboxHealthIndicator implements HealthIndicator {
    static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Supplier<List<Preflight.Check>> checks;
    private HealthResult cached;
    private long cachedAt;

    @Inject
    public SandboxHealthIndicator(AutoifSettings settings) {
        this(() -> Preflight.sandbox(settings.verifierImage()));
    }

    SandboxHealthIndicator(Supplier<List<Preflight.Check>> checks) {
        this.checks = checks;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        return Publishers.just(current());
    }

    synchronized HealthResult current() {
        long now = System.nanoTime();
        if (cached == null || now - cachedAt > CACHE_NANOS) {
            cached = evaluate(checks.get());
            cachedAt = now;
        }
        return cached;
    }

    static HealthResult evaluate(List<Preflight.Check> results) {
        Map<String, Object> details = new LinkedHashMap<>();
        boolean down = false;
        for (Preflight.Check c : results) {
            details.put(c.name(), c.status() == Preflight.Status.OK ? c.detail() : c.line());
            down |= c.failed();
        }
        return HealthResult.builder("sandbox", down ? HealthStatus.DOWN : HealthStatus.UP).details(details).build();
    }
}
