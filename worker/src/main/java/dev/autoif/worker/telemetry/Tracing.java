package dev.autoif.worker.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.opentracingshim.OpenTracingShim;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.temporal.opentracing.OpenTracingOptions;
import io.temporal.opentracing.OpenTracingWorkerInterceptor;
import io.temporal.common.interceptors.WorkerInterceptor;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traces, only when {@value #ENDPOINT} is set: spans go over OTLP/HTTP (protobuf) to {@code $ENDPOINT/v1/traces}
 * (or {@value #TRACES_ENDPOINT} as given), with the headers of {@value #HEADERS} ({@code k=v,k2=v2}) and the service
 * name of {@value #SERVICE_NAME} (default autoif-worker). Temporal's OpenTracing interceptor, on OpenTelemetry through
 * the OpenTracing shim, gives every workflow and activity its span and carries the context through Temporal's headers,
 * so the product's own spans (LLM requests, sandbox runs) nest under the activity that made them.
 */
public final class Tracing implements AutoCloseable {
    public static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public static final String TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public static final String HEADERS = "OTEL_EXPORTER_OTLP_HEADERS";
    public static final String SERVICE_NAME = "OTEL_SERVICE_NAME";
    private static final Logger log = LoggerFactory.getLogger(Tracing.class);

    private final OpenTelemetrySdk sdk; // null: tracing off

    private Tracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
    }

    public static Tracing off() {
        return new Tracing(null);
    }

    /** From the standard OpenTelemetry variables ({@code System.getenv()} in the worker). */
    public static Tracing fromEnvironment(Map<String, String> env) {
        String base = blankToNull(env.get(ENDPOINT));
        String traces = blankToNull(env.get(TRACES_ENDPOINT));
        if (base == null && traces == null) {
            return off();
        }
        String url = traces != null ? traces : base.replaceAll("/+$", "") + "/v1/traces";
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder().setEndpoint(url);
        String headers = blankToNull(env.get(HEADERS));
        if (headers != null) {
            for (String pair : headers.split(",")) {
                String[] kv = pair.split("=", 2);
                if (kv.length == 2) exporter.addHeader(kv[0].trim(), kv[1].trim());
            }
        }
        String service = Optional.ofNullable(blankToNull(env.get(SERVICE_NAME))).orElse("autoif-worker");
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), service))))
                // A campaign makes spans in bursts (hundreds of judge calls at once): a queue 8x the default's keeps
                // them rather than dropping the workflow spans that end after the burst.
                .addSpanProcessor(BatchSpanProcessor.builder(exporter.build()).setMaxQueueSize(16_384)
                        .setMaxExportBatchSize(1024).build())
                .build();
        log.info("traces: OTLP/HTTP to {} as service {}", url, service);
        // W3C trace context: how Temporal's interceptor carries a span through workflow and activity headers.
        return new Tracing(OpenTelemetrySdk.builder().setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build());
    }

    public boolean enabled() {
        return sdk != null;
    }

    public OpenTelemetry openTelemetry() {
        return sdk != null ? sdk : OpenTelemetry.noop();
    }

    /** Temporal's tracing interceptor for the worker factory, when tracing is on. */
    public Optional<WorkerInterceptor> workerInterceptor() {
        if (sdk == null) {
            return Optional.empty();
        }
        return Optional.of(new OpenTracingWorkerInterceptor(OpenTracingOptions.newBuilder()
                .setTracer(OpenTracingShim.createTracerShim(sdk)).build()));
    }

    /** Exports what is still buffered (tests read the receiver right after). */
    public void flush() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
