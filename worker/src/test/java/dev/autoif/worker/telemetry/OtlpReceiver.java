package dev.autoif.worker.telemetry;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real OTLP/HTTP trace receiver for tests: accepts {@code POST /v1/traces} (protobuf ExportTraceServiceRequest) and
 * decodes the spans' ids, parents, names and the resource's service name from the wire format (field numbers of
 * opentelemetry/proto/trace/v1/trace.proto), without generated classes.
 */
public final class OtlpReceiver implements AutoCloseable {
    public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, String service) {}

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    private final List<Map<String, List<String>>> headers = new CopyOnWriteArrayList<>();

    public OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/traces", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int status = 200;
            try {
                spans.addAll(decode(body));
                headers.add(new HashMap<>(exchange.getRequestHeaders()));
            } catch (IOException | RuntimeException e) {
                status = 400;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(status, -1); // an empty ExportTraceServiceResponse
            exchange.close();
        });
        server.start();
    }

    /** What a worker's OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    public List<Map<String, List<String>>> requestHeaders() {
        return List.copyOf(headers);
    }

    static List<ReceivedSpan> decode(byte[] request) throws IOException {
        List<ReceivedSpan> result = new ArrayList<>();
        for (ByteString resourceSpans : fields(UnknownFieldSet.parseFrom(request), 1)) {
            UnknownFieldSet rs = UnknownFieldSet.parseFrom(resourceSpans);
            String service = "";
            for (ByteString resource : fields(rs, 1)) {
                for (ByteString kv : fields(UnknownFieldSet.parseFrom(resource), 1)) {
                    UnknownFieldSet attribute = UnknownFieldSet.parseFrom(kv);
                    if (text(attribute, 1).equals("service.name")) {
                        service = fields(attribute, 2).isEmpty() ? ""
                                : text(UnknownFieldSet.parseFrom(fields(attribute, 2).get(0)), 1);
                    }
                }
            }
            for (ByteString scopeSpans : fields(rs, 2)) {
                for (ByteString span : fields(UnknownFieldSet.parseFrom(scopeSpans), 2)) {
                    UnknownFieldSet s = UnknownFieldSet.parseFrom(span);
                    result.add(new ReceivedSpan(hex(s, 1), hex(s, 2), hex(s, 4), text(s, 5), service));
                }
            }
        }
        return result;
    }

    private static List<ByteString> fields(UnknownFieldSet set, int number) {
        return set.hasField(number) ? set.getField(number).getLengthDelimitedList() : List.of();
    }

    private static String text(UnknownFieldSet set, int number) {
        List<ByteString> f = fields(set, number);
        return f.isEmpty() ? "" : f.get(0).toStringUtf8();
    }

    private static String hex(UnknownFieldSet set, int number) {
        List<ByteString> f = fields(set, number);
        return f.isEmpty() ? "" : HexFormat.of().formatHex(f.get(0).toByteArray());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
