package dev.autoif.worker.fakellm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible chat-completions server answering from {@link FixtureBook}: the stand-in
 * for vLLM in tests and in the offline demo (no model weights are reachable here). It speaks the
 * same protocol — {@code POST /v1/chat/completions} with {@code n} choices, {@code seed} and
 * {@code usage}; {@code GET /v1/models} — so the client cannot tell the difference. It also keeps
 * its own bill ({@code GET /admin/stats}): how many completions it served, and how many of those
 * it had served before for the same prompt and sample.
 */
public final class ScriptedLlmServer implements AutoCloseable {
    public static final String MODEL = "autoif-scripted";

    private final HttpServer server;
    private final FixtureBook book;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong completions = new AtomicLong();
    private final AtomicLong repeatedCompletions = new AtomicLong();
    private final ConcurrentHashMap<String, Boolean> served = new ConcurrentHashMap<>();
    /** The seeds an {@link Faults.Mode#IGNORE_SEED} server draws from instead of the request's. */
    private final AtomicLong unseeded = new AtomicLong(1_000_000);

    private final Faults faults;
    private final boolean watchDisconnects;
    private final AtomicLong lostCompletions = new AtomicLong();
    private final ConcurrentHashMap<String, AtomicLong> occurrences = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Faults.Mode, AtomicLong> faultCounts = new ConcurrentHashMap<>();

    public ScriptedLlmServer(String host, int port, FixtureBook book) throws IOException {
        this(host, port, book, Faults.none());
    }

    /** A server that misbehaves as {@code faults} says (see {@link Faults}); {@link Faults#none()} is the plain server. */
    public ScriptedLlmServer(String host, int port, FixtureBook book, Faults faults) throws IOException {
        this(host, port, book, faults, false);
    }

    /**
     * A server whose {@code faults} latency is spent with the response already started (status 200, chunked) and a
     * space written every 250 ms ahead of the JSON body, so that it notices within a moment when the client closes the
     * connection and stops there: {@link #requestsInFlight()} then counts the requests a client still holds open.
     * Not for faults that answer with an error status, nor for tests of the client's timeout (the headers come at once).
     */
    public static ScriptedLlmServer watchingDisconnects(String host, int port, FixtureBook book, Faults faults)
            throws IOException {
        return new ScriptedLlmServer(host, port, book, faults, true);
    }

    static {
        // The JDK's server closes keep-alive connections beyond 200 idle ones, and a client that picks such a connection
        // from its pool fails with "header parser received no bytes": at 256 requests in flight (a gateway's pool plus
        // the benchmark's direct client) that was the scripted server failing, not the path under test. A model server
        // (uvicorn, vLLM) keeps them all. Read once, when the JVM's first JDK HTTP server starts.
        if (System.getProperty("sun.net.httpserver.maxIdleConnections") == null) {
            System.setProperty("sun.net.httpserver.maxIdleConnections", "4096");
        }
    }

    private ScriptedLlmServer(String host, int port, FixtureBook book, Faults faults, boolean watchDisconnects)
            throws IOException {
        this.watchDisconnects = watchDisconnects;
        this.book = book;
        this.faults = faults;
        this.server = HttpServer.create(new InetSocketAddress(host, port), 128);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/models", this::models);
        server.createContext("/v1/chat/completions", this::chat);
        server.createContext("/admin/stats", this::stats);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    public long completionsServed() {
        return completions.get();
    }

    public long repeatedCompletions() {
        return repeatedCompletions.get();
    }

    private void models(HttpExchange ex) throws IOException {
        ObjectNode body = json.createObjectNode().put("object", "list");
        body.putArray("data").addObject().put("id", MODEL).put("object", "model").put("owned_by", "autoif");
        send(ex, 200, body);
    }

    /** Requests being answered right now, and the most ever at once: what a client's concurrency cap must bound. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger maxInFlight = new java.util.concurrent.atomic.AtomicInteger();

    public int maxConcurrentRequests() {
        return maxInFlight.get();
    }

    /** Chat requests being answered or waiting out the latency (an answer leaves the count as it is written). */
    public int requestsInFlight() {
        return inFlight.get();
    }

    /** Whether this handler's request still counts as in flight ({@link #send} ends it before the body goes out). */
    private final ThreadLocal<Boolean> answering = ThreadLocal.withInitial(() -> false);

    private void chat(HttpExchange ex) throws IOException {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        answering.set(true);
        try {
            answer(ex);
        } finally {
            leaveFlight();
        }
    }

    /**
     * A request leaves the in-flight count before its answer is written: once the client has the answer it may send
     * the next one, and that one must not find this one still counted.
     */
    private void leaveFlight() {
        if (answering.get()) {
            answering.set(false);
            inFlight.decrementAndGet();
        }
    }

    private void answer(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        if (!"POST".equals(ex.getRequestMethod())) {
            sendError(ex, 405, "use POST");
            return;
        }
        JsonNode request;
        try {
            request = json.readTree(ex.getRequestBody());
        } catch (IOException e) {
            sendError(ex, 400, "request body is not JSON: " + e.getMessage());
            return;
        }
        String model = request.path("model").asText("");
        if (!MODEL.equals(model)) {
            sendError(ex, 404, "The model `" + model + "` does not exist.");
            return;
        }
        JsonNode messages = request.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            sendError(ex, 400, "'messages' must be a non-empty list");
            return;
        }
        String prompt = messages.get(messages.size() - 1).path("content").asText("");
        int n = request.path("n").asInt(1);
        if (n < 1 || n > 128) {
            sendError(ex, 400, "n must be between 1 and 128");
            return;
        }
        long seed = request.path("seed").asLong(0);
        long requestedSeed = seed; // what identifies the sample in the bill, even when the server ignores it
        if (faults.has(Faults.Mode.REJECT_SCHEMA) && request.has("response_format")) {
            sendError(ex, 400, "response_format is not supported by this server (scripted quirk)");
            return;
        }
        if (faults.has(Faults.Mode.JSON_OBJECT_ONLY) && request.has("response_format")
                && !"json_object".equals(request.path("response_format").path("type").asText())) {
            sendError(ex, 500, "1 validation error: ('body', 'response_format', 'type'): Input should be 'text' or "
                    + "'json_object' (scripted quirk)");
            return;
        }
        if (faults.has(Faults.Mode.IGNORE_N)) {
            n = 1;
        }
        if (faults.has(Faults.Mode.IGNORE_SEED)) {
            seed = unseeded.getAndIncrement(); // every answer a fresh draw, whatever the request asked
        }
        Faults.Mode fault = null;
        if (faults.any() || !faults.latency().isZero()) {
            String identity = prompt.hashCode() + ":" + prompt.length() + ":" + seed + ":" + n;
            long occurrence = occurrences.computeIfAbsent(identity, k -> new AtomicLong()).getAndIncrement();
            fault = faults.draw(identity, occurrence);
            if (fault != null) {
                faultCounts.computeIfAbsent(fault, k -> new AtomicLong()).incrementAndGet();
            }
            java.time.Duration delay = faults.latency().plus(fault == Faults.Mode.SLOW ? faults.slowDelay() : java.time.Duration.ZERO);
            if (watchDisconnects && fault == null) {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, 0); // chunked: the body follows the spaces
                OutputStream out = ex.getResponseBody();
                if (!trickle(out, delay)) {
                    ex.close(); // the client went away: nothing more to answer
                    return;
                }
                byte[] body = json.writeValueAsString(completion(model, prompt, n, seed, requestedSeed, null))
                        .getBytes(StandardCharsets.UTF_8);
                leaveFlight();
                out.write(body);
                out.close();
                return;
            }
            sleep(delay);
            if (fault != null) {
                switch (fault) {
                    case RATE_LIMIT -> {
                        ex.getResponseHeaders().set("Retry-After", faults.retryAfter());
                        sendError(ex, 429, "Rate limit reached for requests (scripted fault)");
                        return;
                    }
                    case SERVER_ERROR -> {
                        sendError(ex, 500, "The server had an error while processing your request (scripted fault)");
                        return;
                    }
                    case DROP -> {
                        lostCompletions.addAndGet(n);
                        ex.close(); // no headers sent: the connection is closed under the client
                        return;
                    }
                    case MALFORMED -> {
                        lostCompletions.addAndGet(n);
                        byte[] broken = "{\"id\": \"chatcmpl-x\", \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assist"
                                .getBytes(StandardCharsets.UTF_8);
                        ex.getResponseHeaders().set("Content-Type", "application/json");
                        ex.sendResponseHeaders(200, broken.length);
                        try (OutputStream out = ex.getResponseBody()) {
                            out.write(broken);
                        }
                        return;
                    }
                    default -> { }
                }
            }
        }
        send(ex, 200, completion(model, prompt, n, seed, requestedSeed, fault));
    }

    /** Answers held back by {@link #holdAnswers()}: a client sees its request still running. */
    private volatile boolean holding;

    /**
     * From now on, requests served by {@link #watchingDisconnects} wait (still in flight, still noticing a client that
     * goes away) until {@link #releaseAnswers()}: a test kills a worker while no answer is on its way to it, so that
     * what the server served was stored, and what was in flight is dropped rather than served.
     */
    public void holdAnswers() {
        holding = true;
    }

    public void releaseAnswers() {
        holding = false;
    }

    /**
     * Waits {@code delay}, and while answers are held, writing a space every 250 ms; false once a write fails (the
     * client closed the connection).
     */
    private boolean trickle(OutputStream out, java.time.Duration delay) {
        long end = System.nanoTime() + delay.toNanos();
        try {
            while (System.nanoTime() < end || holding) {
                out.write(' ');
                out.flush();
                Thread.sleep(Math.clamp((end - System.nanoTime()) / 1_000_000, 1, 250));
            }
            return true;
        } catch (IOException gone) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** @param requestedSeed the seed the request asked for: what identifies a sample in the bill */
    private ObjectNode completion(String model, String prompt, int n, long seed, long requestedSeed, Faults.Mode fault) {
        int choicesToSend = fault == Faults.Mode.FEWER ? n / 2 : n;
        boolean truncate = fault == Faults.Mode.TRUNCATE;
        ObjectNode body = json.createObjectNode();
        body.put("id", "chatcmpl-" + Long.toHexString(requests.get()));
        body.put("object", "chat.completion");
        body.put("created", System.currentTimeMillis() / 1000);
        body.put("model", model);
        ArrayNode choices = body.putArray("choices");
        long completionTokens = 0;
        for (int i = 0; i < choicesToSend; i++) {
            String text = book.answer(prompt, seed + i);
            if (truncate) {
                text = text.substring(0, text.length() / 2);
            }
            completionTokens += tokens(text);
            completions.incrementAndGet();
            if (served.putIfAbsent(prompt.hashCode() + ":" + (requestedSeed + i), Boolean.TRUE) != null) {
                repeatedCompletions.incrementAndGet();
            }
            ObjectNode choice = choices.addObject();
            choice.put("index", i);
            choice.putObject("message").put("role", "assistant")
                    .put("content", faults.has(Faults.Mode.KEEP_STOP) ? text + "<|im_end|>" : text);
            if (!faults.has(Faults.Mode.NO_FINISH_REASON)) {
                choice.put("finish_reason", truncate ? "length" : "stop");
            }
        }
        long promptTokens = tokens(prompt);
        if (!faults.has(Faults.Mode.NO_USAGE)) {
            body.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("total_tokens", promptTokens + completionTokens);
        }
        return body;
    }

    private void stats(HttpExchange ex) throws IOException {
        send(ex, 200, json.createObjectNode()
                .put("requests", requests.get())
                .put("completions", completions.get())
                .put("repeated_completions", repeatedCompletions.get())
                .put("lost_completions", lostCompletions.get())
                .set("faults", faultsServed()));
    }

    private ObjectNode faultsServed() {
        ObjectNode counts = json.createObjectNode();
        for (Faults.Mode m : Faults.Mode.values()) {
            AtomicLong c = faultCounts.get(m);
            if (c != null) counts.put(m.flag, c.get());
        }
        return counts;
    }

    /** Completions generated but never delivered (dropped connections, malformed bodies): not billed here. */
    public long lostCompletions() {
        return lostCompletions.get();
    }

    /** How many requests got fault {@code mode}. */
    public long faultsServed(Faults.Mode mode) {
        AtomicLong c = faultCounts.get(mode);
        return c == null ? 0 : c.get();
    }

    private static void sleep(java.time.Duration d) {
        if (d.isZero() || d.isNegative()) return;
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A rough whitespace token count: enough for usage accounting. */
    private static long tokens(String text) {
        return text.isBlank() ? 0 : text.strip().split("\\s+").length;
    }

    private void sendError(HttpExchange ex, int status, String message) throws IOException {
        ObjectNode body = json.createObjectNode();
        body.putObject("error").put("message", message).put("type", "invalid_request_error").put("code", status);
        send(ex, status, body);
    }

    private void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        leaveFlight();
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
