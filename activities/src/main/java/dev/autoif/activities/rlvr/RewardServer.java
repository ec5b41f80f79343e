package dev.autoif.activities.rlvr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reward service over HTTP (the JDK's server, as the scripted LLM server: no framework start-up, and the
 * bounded admission below is the whole concurrency policy).
 *
 * <ul>
 *   <li>{@code POST /v1/score} {@code {"items": [{"response", "label"} | {"response", "verifiers": [sha]}],
 *       "aggregation": "mean|all|majority", "strip_reasoning": bool}} -> {@code {"results": [{reward, verdicts,
 *       timed_out, error}], "latency_ms"}}; 429 with Retry-After when every scoring slot and the queue are taken.</li>
 *   <li>{@code POST /reward} OpenRLHF's remote reward protocol: {@code {query, prompts, labels}} -> always 200 with
 *       {@code rewards}, {@code scores}, {@code extra_logs} as long as {@code query}; an item that cannot be scored
 *       gets 0 and its reason in {@code extra_logs.errors}.</li>
 *   <li>{@code GET /health}, {@code GET /metrics} (Prometheus text).</li>
 * </ul>
 * Bodies are decoded as UTF-8 with replacement, so invalid bytes in a response cannot fail a request.
 */
public final class RewardServer implements AutoCloseable {
    public static final int MAX_BODY_BYTES = 64 << 20;

    private final RewardScorer scorer;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Semaphore scoring;
    private final Semaphore admitted;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong itemsScored = new AtomicLong();
    private final AtomicLong itemsTimedOut = new AtomicLong();
    private final AtomicLong itemsFailed = new AtomicLong();
    private final AtomicLong scoringNanos = new AtomicLong();

    /** {@code concurrency} sandbox calls at once (give the pool as many containers), {@code queue} more waiting; beyond that, 429/503. */
    public RewardServer(RewardScorer scorer, String host, int port, int concurrency, int queue) throws IOException {
        this.scorer = scorer;
        this.scoring = new Semaphore(concurrency);
        this.admitted = new Semaphore(concurrency + queue);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.server = HttpServer.create(new InetSocketAddress(host, port), 256);
        server.setExecutor(executor);
        server.createContext("/v1/score", this::native_);
        server.createContext("/reward", this::openRlhf);
        server.createContext("/health", ex -> send(ex, 200, "application/json",
                "{\"status\":\"ok\",\"verifiers\":" + scorer.verifiers() + "}"));
        server.createContext("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4", metrics()));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void native_(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            send(ex, 405, "application/json", error("POST a JSON body"));
            return;
        }
        requests.incrementAndGet();
        JsonNode body = body(ex);
        if (body == null || !body.path("items").isArray()) {
            send(ex, 400, "application/json", error("body must be a JSON object with an 'items' array"));
            return;
        }
        RewardScorer.Aggregation aggregation;
        try {
            aggregation = RewardScorer.Aggregation.parse(body.path("aggregation").asText(null));
        } catch (IllegalArgumentException e) {
            send(ex, 400, "application/json", error(e.getMessage()));
            return;
        }
        List<RewardScorer.Item> items = new ArrayList<>();
        for (JsonNode it : body.get("items")) {
            String label = it.has("verifiers") ? json.createObjectNode().set("verifiers", it.get("verifiers")).toString()
                    : it.path("label").asText(null);
            items.add(new RewardScorer.Item(it.path("response").asText(""), label));
        }
        if (!admitted.tryAcquire()) {
            rejected.incrementAndGet();
            ex.getResponseHeaders().add("Retry-After", "1");
            send(ex, 429, "application/json", error("reward service full: retry later"));
            return;
        }
        long start = System.nanoTime();
        List<RewardScorer.Score> scores;
        try {
            scores = scoreAdmitted(items, aggregation, body.path("strip_reasoning").asBoolean(false));
        } finally {
            admitted.release();
        }
        ObjectNode out = json.createObjectNode();
        ArrayNode results = out.putArray("results");
        for (RewardScorer.Score s : scores) {
            ObjectNode r = results.addObject();
            if (s.reward() == null) r.putNull("reward");
            else r.put("reward", s.reward());
            r.set("verdicts", json.valueToTree(s.verdicts()));
            r.put("timed_out", s.timedOut());
            r.put("error", s.error());
        }
        out.put("latency_ms", (System.nanoTime() - start) / 1_000_000.0);
        send(ex, 200, "application/json", out.toString());
    }

    private void openRlhf(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        JsonNode parsed = body(ex);
        JsonNode body = parsed == null ? json.createObjectNode() : parsed;
        JsonNode query = body.path("query");
        int n = query.isArray() ? query.size() : 0;
        List<RewardScorer.Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(new RewardScorer.Item(response(query.get(i).asText(""), body.path("prompts").path(i).asText("")),
                    body.path("labels").path(i).asText(null)));
        }
        List<RewardScorer.Score> scores = List.of();
        String failure = null;
        try {
            // OpenRLHF does not retry on 429: wait for a slot (bounded) rather than refuse.
            if (admitted.tryAcquire(60, TimeUnit.SECONDS)) {
                try {
                    scores = scoreAdmitted(items, RewardScorer.Aggregation.parse(body.path("aggregation").asText(null)),
                            body.path("strip_reasoning").asBoolean(true));
                } finally {
                    admitted.release();
                }
            } else {
                rejected.incrementAndGet();
                failure = "reward service full";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        } catch (IllegalArgumentException e) {
            failure = e.getMessage();
        }
        ObjectNode out = json.createObjectNode();
        ArrayNode rewards = out.putArray("rewards");
        ArrayNode scoresOut = out.putArray("scores");
        ObjectNode logs = out.putObject("extra_logs");
        ArrayNode timedOut = logs.putArray("timed_out");
        ArrayNode errors = logs.putArray("errors");
        for (int i = 0; i < n; i++) {
            RewardScorer.Score s = i < scores.size() ? scores.get(i) : null;
            double reward = s == null || s.reward() == null ? 0.0 : s.reward();
            rewards.add(reward);
            scoresOut.add(reward);
            timedOut.add(s != null && s.timedOut());
            errors.add(s == null ? failure : s.error());
        }
        send(ex, 200, "application/json", out.toString());
    }

    /** OpenRLHF sends prompt + completion as {@code query}; the verifier sees only the completion. */
    private static String response(String query, String prompt) {
        return !prompt.isEmpty() && query.startsWith(prompt) ? query.substring(prompt.length()) : query;
    }

    private List<RewardScorer.Score> scoreAdmitted(List<RewardScorer.Item> items, RewardScorer.Aggregation aggregation,
                                                   boolean strip) {
        scoring.acquireUninterruptibly();
        long start = System.nanoTime();
        try {
            List<RewardScorer.Score> scores = scorer.score(items, aggregation, strip);
            itemsScored.addAndGet(scores.size());
            itemsTimedOut.addAndGet(scores.stream().filter(RewardScorer.Score::timedOut).count());
            itemsFailed.addAndGet(scores.stream().filter(s -> s.error() != null).count());
            return scores;
        } finally {
            scoringNanos.addAndGet(System.nanoTime() - start);
            scoring.release();
        }
    }

    private JsonNode body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) return null;
            return json.readTree(new String(bytes, StandardCharsets.UTF_8)); // malformed UTF-8 -> U+FFFD
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }

    private String error(String message) {
        return json.createObjectNode().put("error", message).toString();
    }

    private String metrics() {
        return "# TYPE autoif_reward_requests_total counter\nautoif_reward_requests_total " + requests.get() + "\n"
                + "# TYPE autoif_reward_rejected_total counter\nautoif_reward_rejected_total " + rejected.get() + "\n"
                + "# TYPE autoif_reward_items_total counter\nautoif_reward_items_total " + itemsScored.get() + "\n"
                + "# TYPE autoif_reward_items_timed_out_total counter\nautoif_reward_items_timed_out_total " + itemsTimedOut.get() + "\n"
                + "# TYPE autoif_reward_items_failed_total counter\nautoif_reward_items_failed_total " + itemsFailed.get() + "\n"
                + "# TYPE autoif_reward_scoring_seconds_total counter\nautoif_reward_scoring_seconds_total " + scoringNanos.get() / 1e9 + "\n"
                + "# TYPE autoif_reward_cache_entries gauge\nautoif_reward_cache_entries " + scorer.cached() + "\n"
                + "# TYPE autoif_reward_containers_started_total counter\nautoif_reward_containers_started_total "
                + scorer.sandbox().sandbox().containersCreated() + "\n"
                + "# TYPE autoif_reward_containers_recycled_total counter\nautoif_reward_containers_recycled_total "
                + scorer.sandbox().recycled() + "\n"
                + "# TYPE autoif_reward_fresh_container_runs_total counter\nautoif_reward_fresh_container_runs_total "
                + scorer.sandbox().reruns() + "\n";
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops serving and removes the warm containers. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        scorer.sandbox().close();
    }
}
