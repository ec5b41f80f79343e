package dev.autoif.worker.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.temporal.failure.ApplicationFailure;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Marker;

/**
 * The Temporal SDK logs every failed activity attempt, and every failed workflow, with its stack trace. For the
 * product's typed failures (an {@link ApplicationFailure} with a type, e.g. DockerEngineUnreachable while the engine is
 * down) that trace says nothing new, and a worker retrying for hours would print thousands. This filter drops those
 * events and instead logs one line per failure type per minute — the message (which names the fix) and how many
 * failures there were since the last line. Untyped failures (bugs) keep their full stack trace.
 */
public class ExpectedFailureFilter extends TurboFilter {
    /** Where the one-line summaries go. */
    public static final String LOGGER = "autoif.failures";
    static final long PERIOD_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final LongSupplier clock;
    private final Map<String, long[]> byType = new ConcurrentHashMap<>(); // type -> {last line at, failures since}

    public ExpectedFailureFilter() {
        this(System::nanoTime);
    }

    ExpectedFailureFilter(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        String label;
        if (format == null) {
            return FilterReply.NEUTRAL;
        } else if (logger.getName().startsWith("io.temporal.internal.activity") && format.contains("failure. ActivityId")) {
            label = params != null && params.length > 2 ? String.valueOf(params[2]) : "activity"; // the activity type
        } else if (logger.getName().startsWith("io.temporal.internal.sync") && format.startsWith("Workflow execution failure")) {
            label = "workflow " + (params != null && params.length > 2 ? params[2] : "") + " " + (params != null ? params[0] : "");
        } else {
            return FilterReply.NEUTRAL;
        }
        // slf4j passes a trailing exception among the parameters; logback separates it only after turbo filters.
        if (t == null && params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last) {
            t = last;
        }
        ApplicationFailure failure = typed(t);
        if (failure == null) {
            return FilterReply.NEUTRAL;
        }
        long now = clock.getAsLong();
        long[] state = byType.computeIfAbsent(failure.getType(), k -> new long[] {now - PERIOD_NANOS, 0});
        long suppressed;
        synchronized (state) {
            state[1]++;
            if (now - state[0] < PERIOD_NANOS) {
                return FilterReply.DENY;
            }
            suppressed = state[1];
            state[0] = now;
            state[1] = 0;
        }
        logger.getLoggerContext().getLogger(LOGGER).warn("{} failed: {} [{}] ({} failure{} of this type since the last such line;"
                        + " Temporal retries what can be retried)", label, failure.getOriginalMessage(), failure.getType(),
                suppressed, suppressed == 1 ? "" : "s");
        return FilterReply.DENY;
    }

    private static ApplicationFailure typed(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ApplicationFailure af && af.getType() != null && !af.getType().isBlank()) {
                return af;
            }
        }
        return null;
    }
}
