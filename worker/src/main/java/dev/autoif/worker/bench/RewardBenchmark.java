package dev.autoif.worker.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.rlvr.RewardScorer;
import dev.autoif.activities.rlvr.RewardServer;
import dev.autoif.activities.rlvr.RlvrExport;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.activities.sandbox.SandboxSettings;
import dev.autoif.activities.sandbox.WarmSandboxPool;
import dev.autoif.worker.AutoifSettings;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The reward service under a GRPO-step-shaped load: PROMPTS prompts x GROUP responses x their verifiers (<= 4, the
 * fixture campaign's), sent over HTTP to {@code POST /v1/score} in requests of PROMPTS_PER_REQUEST whole groups,
 * against the same (function x response) cells exec'd in one unsandboxed Python process (SandboxBenchmark's
 * baseline). Every response is unique, so the verdict cache never helps: the figures are for fresh samples.
 */
@Command(name = "reward", mixinStandardHelpOptions = true,
        description = "Reward service responses/s and p50/p99 request latency for a GRPO-shaped load; last line ratio=<service/in-process exec>.")
public class RewardBenchmark implements Callable<Integer> {
    @Option(names = "--prompts", defaultValue = "1024", description = "Prompts of the step (default ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--group", defaultValue = "8", description = "Responses per prompt (default ${DEFAULT-VALUE}).")
    int group;

    @Option(names = "--prompts-per-request", defaultValue = "64", description = "Whole groups per request (default ${DEFAULT-VALUE}).")
    int perRequest;

    @Option(names = "--concurrency", defaultValue = "2", description = "Requests in flight and sandbox containers at once (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Inject
    AutoifSettings settings;

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        List<SandboxBenchmark.Fixture> fixtures = SandboxBenchmark.fixtures();
        List<String> allInputs = fixtures.stream().flatMap(f -> f.inputs().stream()).distinct().toList();
        List<DockerSandbox.Group> groups = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            SandboxBenchmark.Fixture f = fixtures.get(i % fixtures.size());
            List<String> responses = SandboxBenchmark.pad(List.of(), allInputs, group, i * 7).stream()
                    .map(r -> r + " #" + groups.size()).toList(); // unique: no cache hits
            groups.add(new DockerSandbox.Group(SandboxBenchmark.cycle(f.functions(), Math.min(4, f.functions().size()), i), responses));
        }
        Set<String> slow = new LinkedHashSet<>();
        for (JsonNode s : SandboxBenchmark.baseline(settings.verifierImage(), groups).get("slow")) slow.add(s.asText());
        List<DockerSandbox.Group> work = SandboxBenchmark.without(groups, slow);
        long cells = work.stream().mapToLong(g -> (long) g.functions().size() * g.inputs().size()).sum();
        long responses = work.stream().mapToLong(g -> g.inputs().size()).sum();
        System.out.printf("workload: %d prompts x %d responses x <=4 verifiers = %d responses, %d evaluations (%d looping functions excluded); "
                + "%d prompts per request, %d requests in flight; load average %s%n", work.size(), group, responses, cells,
                slow.size(), perRequest, concurrency, loadAverage());

        JsonNode base = SandboxBenchmark.baseline(settings.verifierImage(), work);
        double baseRate = responses / base.get("seconds").asDouble();
        System.out.printf("baseline (exec in one Python process, no isolation): %d evaluations in %.2f s = %.0f responses/s%n",
                base.get("evaluations").asLong(), base.get("seconds").asDouble(), baseRate);

        Map<String, String> code = new LinkedHashMap<>();
        work.forEach(g -> g.functions().forEach(f -> code.put(RlvrExport.sha256(f), f)));
        int cpus = Runtime.getRuntime().availableProcessors();
        DockerSandbox sandbox = new DockerSandbox(DockerClients.create(concurrency + 1),
                new SandboxSettings(settings.verifierImage(), 1024, cpus, 256, 16, 64 << 20, Duration.ofMinutes(20)));
        HttpClient http = HttpClient.newBuilder().executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()).build();
        WarmSandboxPool pool = new WarmSandboxPool(sandbox, "reward-bench", concurrency, 100, Duration.ofMinutes(30));
        try (RewardServer server = new RewardServer(new RewardScorer(pool, code, 1), "127.0.0.1", 0, concurrency, concurrency)) {
            List<byte[]> bodies = new ArrayList<>();
            for (int from = 0; from < work.size(); from += perRequest) {
                List<Map<String, String>> items = new ArrayList<>();
                for (DockerSandbox.Group g : work.subList(from, Math.min(work.size(), from + perRequest))) {
                    String label = json.createObjectNode().set("verifiers",
                            json.valueToTree(g.functions().stream().map(RlvrExport::sha256).toList())).toString();
                    g.inputs().forEach(r -> items.add(Map.of("response", r, "label", label)));
                }
                bodies.add(json.writeValueAsBytes(Map.of("items", items)));
            }
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/score");
            // A trainer's service is warm after its first step: one small request per container first, not timed.
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> warmUp = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                DockerSandbox.Group g = work.get(i % work.size());
                String label = json.createObjectNode().set("verifiers", json.valueToTree(List.of(RlvrExport.sha256(g.functions().get(0))))).toString();
                byte[] body = json.writeValueAsBytes(Map.of("items", List.of(Map.of("response", "warm-up " + i, "label", label))));
                warmUp.add(http.sendAsync(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (var f : warmUp) f.get();
            double[] latencies = new double[bodies.size()];
            long scored = 0;
            long started = System.nanoTime();
            for (int from = 0; from < bodies.size(); from += concurrency) { // `concurrency` requests in flight
                List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                long[] sent = new long[concurrency];
                for (int i = from; i < Math.min(bodies.size(), from + concurrency); i++) {
                    sent[i - from] = System.nanoTime();
                    inFlight.add(http.sendAsync(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i))).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                for (int k = 0; k < inFlight.size(); k++) {
                    HttpResponse<String> r = inFlight.get(k).get();
                    latencies[from + k] = (System.nanoTime() - sent[k]) / 1e6;
                    if (r.statusCode() != 200) throw new IllegalStateException("reward service answered " + r.statusCode() + ": " + r.body());
                    for (JsonNode res : json.readTree(r.body()).get("results")) if (!res.get("reward").isNull()) scored++;
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            double rate = scored / seconds;
            Arrays.sort(latencies);
            System.out.printf("reward service (HTTP, Docker sandbox, %d warm containers; %d started, %d replaced, %d runs in a fresh container): %d responses in %.2f s = %.0f responses/s; "
                    + "request latency p50 %.0f ms, p99 %.0f ms (%d requests of %d responses)%n", concurrency,
                    sandbox.containersCreated(), pool.recycled(), pool.reruns(), scored, seconds, rate,
                    percentile(latencies, 0.50), percentile(latencies, 0.99), latencies.length, perRequest * group);
            System.out.printf("ratio=%.3f%n", rate / baseRate);
        }
        return 0;
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).strip();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
