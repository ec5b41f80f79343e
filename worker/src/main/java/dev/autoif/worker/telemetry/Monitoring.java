package dev.autoif.worker.telemetry;

import dev.autoif.activities.telemetry.Telemetry;
import io.micrometer.core.instrument.MeterRegistry;

/** What a worker reports: product metrics and spans ({@link Telemetry}) and Temporal's tracing ({@link Tracing}). */
public record Monitoring(Telemetry telemetry, Tracing tracing) {
    public static Monitoring none() {
        return new Monitoring(Telemetry.none(), Tracing.off());
    }

    public static Monitoring of(MeterRegistry registry, Tracing tracing) {
        return new Monitoring(new Telemetry(registry, tracing.openTelemetry()), tracing);
    }
}
