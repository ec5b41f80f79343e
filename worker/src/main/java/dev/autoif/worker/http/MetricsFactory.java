package dev.autoif.worker.http;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.autoif.worker.telemetry.Monitoring;
import dev.autoif.worker.telemetry.Tracing;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import jakarta.inject.Singleton;

@Factory
public class MetricsFactory {
    @Singleton
    PrometheusMeterRegistry prometheusRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        return registry;
    }

    /** The Temporal SDK reports through tally; this bridges it to the Prometheus registry. */
    @Singleton
    Scope temporalMetricsScope(PrometheusMeterRegistry registry) {
        return new RootScopeBuilder()
                .reporter(new MicrometerClientStatsReporter(registry))
                .reportEvery(com.uber.m3.util.Duration.ofSeconds(10));
    }

    /** Traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; flushed when the application stops. */
    @Singleton
    @Bean(preDestroy = "close")
    Tracing tracing() {
        return Tracing.fromEnvironment(System.getenv());
    }

    /** The product's metrics (on the Prometheus registry) and spans. */
    @Singleton
    Monitoring monitoring(PrometheusMeterRegistry registry, Tracing tracing) {
        return Monitoring.of(registry, tracing);
    }
}
