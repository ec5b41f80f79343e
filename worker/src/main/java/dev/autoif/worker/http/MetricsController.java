package dev.autoif.worker.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;

/** Prometheus scrape endpoint: the Temporal SDK's worker metrics and the JVM's. */
@Controller("/prometheus")
public class MetricsController {
    private final PrometheusMeterRegistry registry;

    public MetricsController(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @Get
    @Produces(MediaType.TEXT_PLAIN)
    public String scrape() {
        return registry.scrape();
    }
}
