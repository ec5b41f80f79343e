package dev.autoif.activities.telemetry;

import dev.autoif.activities.llm.AdaptiveConcurrencyLimiter;
import dev.autoif.activities.llm.ChatCall;
import dev.autoif.activities.llm.ChatResponse;
import dev.autoif.activities.llm.LlmRequestObserver;
import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The worker's product metrics and spans: one call per instrumentation point (an LLM request, a sandbox container run,
 * a coalescing round), so the code it observes stays as it was.
 *
 * <p>Labels are bounded: endpoint (base URL without credentials or query), model, outcome (ok or the failure type);
 * never an instruction, prompt or campaign (campaign-level numbers come from the campaign workflow, see
 * {@code CampaignMetrics}). Spans may carry anything (they are sampled records, not time series).
 */
public final class Telemetry implements LlmRequestObserver {
    public static final String INSTRUMENTATION = "dev.autoif";

    private final MeterRegistry registry;
    private final Tracer tracer;
    private final Set<String> watchedEndpoints = ConcurrentHashMap.newKeySet();
    private final AtomicInteger containersRunning = new AtomicInteger();
    private final Counter evaluations;
    private final Counter timeouts;
    private final Counter abstentions;
    private final Counter definitionErrors;
    private final Counter reruns;
    private final DistributionSummary roundBatches;
    private final Timer queueWait;

    public Telemetry(MeterRegistry registry, OpenTelemetry openTelemetry) {
        this.registry = registry;
        this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
        // Registered at once, so the series exist (at 0) before the first sandbox call.
        Gauge.builder("autoif_sandbox_containers_running", containersRunning, AtomicInteger::get)
                .description("Verifier containers running now in this worker").register(registry);
        evaluations = Counter.builder("autoif_sandbox_evaluations").description("Function x input calls evaluated")
                .register(registry);
        timeouts = Counter.builder("autoif_sandbox_timeouts").description("Calls killed at the per-call timeout")
                .register(registry);
        abstentions = Counter.builder("autoif_sandbox_abstentions")
                .description("Calls that returned no bool (exception, timeout, other type)").register(registry);
        definitionErrors = Counter.builder("autoif_sandbox_definition_errors")
                .description("Functions that did not compile or raised when defined").register(registry);
        reruns = Counter.builder("autoif_sandbox_reruns")
                .description("Batches re-run in a container of their own after a shared container failed or disturbed them").register(registry);
        roundBatches = DistributionSummary.builder("autoif_sandbox_round_batches")
                .description("Sandbox activities (instructions) sharing one container").publishPercentileHistogram()
                .maximumExpectedValue(1024.0).register(registry);
        queueWait = Timer.builder("autoif_sandbox_queue_wait")
                .description("From a coalescing round's first call to its container start (window + waiting for a container)")
                .publishPercentileHistogram().register(registry);
    }

    /** No metrics and no spans: tools and tests that do not observe them. */
    public static Telemetry none() {
        return new Telemetry(new CompositeMeterRegistry(), OpenTelemetry.noop());
    }

    /**
     * One HTTP request to an LLM endpoint: its latency, outcome (ok or the failure type: what Temporal retries, by
     * class), completions and tokens, a span "llm.request", and the endpoint limiter's cap and in-flight gauges.
     */
    @Override
    public ChatResponse llmRequest(ChatCall call, AdaptiveConcurrencyLimiter limiter, int samples,
                                   Supplier<ChatResponse> request) {
        String endpoint = endpoint(call.baseUrl());
        String model = call.model() == null ? "" : call.model();
        watch(endpoint, limiter);
        Span span = tracer.spanBuilder("llm.request").setSpanKind(SpanKind.CLIENT)
                .setAttribute("llm.endpoint", endpoint).setAttribute("llm.model", model)
                .setAttribute("llm.samples", samples).startSpan();
        long started = System.nanoTime();
        String outcome = "ok";
        try (Scope ignored = span.makeCurrent()) {
            ChatResponse response = request.get();
            span.setAttribute("llm.choices", response.choices().size());
            span.setAttribute("llm.prompt_tokens", response.promptTokens());
            span.setAttribute("llm.completion_tokens", response.completionTokens());
            registry.counter("autoif_llm_completions", "endpoint", endpoint, "model", model)
                    .increment(response.choices().size());
            registry.counter("autoif_llm_prompt_tokens", "endpoint", endpoint, "model", model)
                    .increment(response.promptTokens());
            registry.counter("autoif_llm_completion_tokens", "endpoint", endpoint, "model", model)
                    .increment(response.completionTokens());
            return response;
        } catch (RuntimeException e) {
            outcome = failureClass(e);
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, outcome);
            throw e;
        } finally {
            Timer.builder("autoif_llm_request_duration").description("LLM HTTP request latency")
                    .tags("endpoint", endpoint, "model", model).publishPercentileHistogram().register(registry)
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            registry.counter("autoif_llm_requests", "endpoint", endpoint, "model", model, "outcome", outcome).increment();
            span.end();
        }
    }

    private void watch(String endpoint, AdaptiveConcurrencyLimiter limiter) {
        if (watchedEndpoints.add(endpoint)) {
            Gauge.builder("autoif_llm_limiter_cap", limiter, AdaptiveConcurrencyLimiter::permits).tag("endpoint", endpoint)
                    .description("Requests the adaptive limiter allows in flight now (0 while cooling down)").register(registry);
            Gauge.builder("autoif_llm_in_flight", limiter, AdaptiveConcurrencyLimiter::inFlight).tag("endpoint", endpoint)
                    .description("LLM requests in flight now").register(registry);
        }
    }

    /**
     * One verifier container run of {@code batches} independent matrices: its duration and result (ok or the failure
     * type), the evaluations, timeouts, abstentions and definition errors in its rows, and a span "sandbox.run".
     */
    public <T> T sandboxRun(String campaignId, int batches, Supplier<T> run,
                            java.util.function.Function<T, List<List<FunctionEvaluation>>> rowsOf) {
        Span span = tracer.spanBuilder("sandbox.run").setAttribute("autoif.campaign", campaignId == null ? "" : campaignId)
                .setAttribute("sandbox.batches", batches).startSpan();
        containersRunning.incrementAndGet();
        long started = System.nanoTime();
        String result = "ok";
        try (Scope ignored = span.makeCurrent()) {
            T outcome = run.get();
            List<List<FunctionEvaluation>> groups = rowsOf.apply(outcome);
            long cells = 0, timedOut = 0, abstained = 0, undefined = 0;
            for (List<FunctionEvaluation> rows : groups) {
                for (FunctionEvaluation row : rows) {
                    if (!row.usable()) undefined++;
                    for (Cell c : row.cells()) {
                        cells++;
                        if (c.value() == null) abstained++;
                        if (c.timedOut()) timedOut++;
                    }
                }
            }
            evaluations.increment(cells);
            timeouts.increment(timedOut);
            abstentions.increment(abstained);
            definitionErrors.increment(undefined);
            span.setAttribute("sandbox.evaluations", cells);
            span.setAttribute("sandbox.timeouts", timedOut);
            return outcome;
        } catch (RuntimeException e) {
            result = failureClass(e);
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, result);
            throw e;
        } finally {
            containersRunning.decrementAndGet();
            Timer.builder("autoif_sandbox_container_duration").description("Verifier container runs, start to result")
                    .tag("result", result).publishPercentileHistogram().register(registry)
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            span.end();
        }
    }

    /** A coalescing round got its container: how many batches share it and how long its first call waited. */
    public void sandboxRound(int batches, long waitedNanos) {
        roundBatches.record(batches);
        queueWait.record(waitedNanos, TimeUnit.NANOSECONDS);
    }

    /** A shared container failed or disturbed {@code batches}: they are re-run one container each. */
    public void sandboxReruns(int batches) {
        reruns.increment(batches);
    }

    /** The failure's type (FailureTypes and the sandbox's own, bounded), else the exception's class. */
    static String failureClass(Throwable e) {
        return e instanceof ApplicationFailure af && af.getType() != null ? af.getType() : e.getClass().getSimpleName();
    }

    /** A base URL as a label: scheme, host, port and path; never credentials or a query. */
    static String endpoint(String baseUrl) {
        try {
            URI u = URI.create(baseUrl);
            String path = u.getPath() == null ? "" : u.getPath().replaceAll("/+$", "");
            return u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + path;
        } catch (RuntimeException e) {
            return "unparseable";
        }
    }
}
