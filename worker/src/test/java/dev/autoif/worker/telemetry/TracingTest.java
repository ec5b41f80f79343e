package dev.autoif.worker.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Traces are off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; when it is, spans reach a real OTLP/HTTP receiver. */
class TracingTest {
    @Test
    void offWithoutAnEndpoint() {
        for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of(Tracing.ENDPOINT, "  "))) {
            try (Tracing tracing = Tracing.fromEnvironment(env)) {
                assertFalse(tracing.enabled(), env.toString());
                assertTrue(tracing.workerInterceptor().isEmpty(), "no Temporal tracing interceptor without an endpoint");
            }
        }
    }

    @Test
    void exportsToTheEndpointWithServiceNameAndHeaders() throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver();
             Tracing tracing = Tracing.fromEnvironment(Map.of(Tracing.ENDPOINT, receiver.endpoint() + "/",
                     Tracing.SERVICE_NAME, "autoif-test", Tracing.HEADERS, "x-team=data, authorization=Bearer t"))) {
            assertTrue(tracing.enabled());
            assertTrue(tracing.workerInterceptor().isPresent());
            var span = tracing.openTelemetry().getTracer("test").spanBuilder("probe").startSpan();
            span.end();
            tracing.flush();
            List<OtlpReceiver.ReceivedSpan> spans = receiver.spans();
            assertEquals(List.of("probe"), spans.stream().map(OtlpReceiver.ReceivedSpan::name).toList());
            assertEquals("autoif-test", spans.get(0).service());
            assertEquals(32, spans.get(0).traceId().length(), spans.toString());
            var headers = receiver.requestHeaders().get(0);
            assertEquals(List.of("data"), headers.get("X-team"), headers.toString());
            assertEquals(List.of("Bearer t"), headers.get("Authorization"), headers.toString());
        }
    }
}
