package dev.autoif.worker.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.ChatSample;
import dev.autoif.activities.llm.VerifierParser;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.activities.sandbox.SandboxSettings;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import dev.autoif.workflows.crossval.TestCase;
import dev.autoif.worker.AutoifSettings;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Sandbox throughput against the reference's way of running verifiers (exec in one process, no
 * isolation), measured in the same run on the same functions and inputs: the fixture verifiers
 * of the 36 seed instructions, cycled to the requested number of instructions.
 */
@Command(name = "sandbox", mixinStandardHelpOptions = true,
        description = "Evaluations/s of the Docker sandbox vs in-process exec; last line ratio=<sandbox/baseline>.")
public class SandboxBenchmark implements Callable<Integer> {
    @Option(names = "--instructions", defaultValue = "1000", description = "S3 workload: instructions (default ${DEFAULT-VALUE}).")
    int instructions;

    @Option(names = "--functions", defaultValue = "8", description = "Functions per instruction (default ${DEFAULT-VALUE}).")
    int functionsPerInstruction;

    @Option(names = "--cases", defaultValue = "24", description = "S3 test-case inputs per instruction (default ${DEFAULT-VALUE}).")
    int casesPerInstruction;

    @Option(names = "--s7-instructions", defaultValue = "100",
            description = "S7 workload: instructions x 16 queries x 8 responses x their functions (default ${DEFAULT-VALUE}).")
    int s7Instructions;

    @Option(names = "--instructions-per-container", defaultValue = "1000",
            description = "Instructions batched into one container (default ${DEFAULT-VALUE}).")
    int perContainer;

    @Inject
    AutoifSettings settings;

    private static final ObjectMapper json = new ObjectMapper();

    record Fixture(List<String> functions, List<String> inputs) {}

    @Override
    public Integer call() throws Exception {
        List<Fixture> fixtures = fixtures();
        List<String> allInputs = fixtures.stream().flatMap(f -> f.inputs().stream()).distinct().toList();
        int cpus = Runtime.getRuntime().availableProcessors();
        DockerSandbox sandbox = new DockerSandbox(DockerClients.create(2),
                new SandboxSettings(settings.verifierImage(), 1024, cpus, 256, 16, 64 << 20, Duration.ofMinutes(20)));

        List<DockerSandbox.Group> s3 = new ArrayList<>();
        for (int i = 0; i < instructions; i++) {
            Fixture f = fixtures.get(i % fixtures.size());
            s3.add(new DockerSandbox.Group(cycle(f.functions(), functionsPerInstruction, i),
                    pad(f.inputs(), allInputs, casesPerInstruction, i)));
        }
        List<DockerSandbox.Group> s7 = new ArrayList<>();
        for (int i = 0; i < s7Instructions; i++) {
            Fixture f = fixtures.get(i % fixtures.size());
            s7.add(new DockerSandbox.Group(cycle(f.functions(), Math.min(4, f.functions().size()), i),
                    pad(List.of(), allInputs, 16 * 8, i * 7)));
        }
        // A verifier that loops forever on some input would make both sides measure their timeout,
        // not their throughput: find such functions once with the baseline and leave them out.
        Set<String> slow = new LinkedHashSet<>();
        for (JsonNode s : baseline(concat(s3, s7)).get("slow")) slow.add(s.asText());
        s3 = without(s3, slow);
        s7 = without(s7, slow);
        System.out.printf("workload: S3 %d instructions x %d functions x %d inputs, S7 %d instructions x 128 responses x <=4 functions"
                + " (%d looping functions excluded); sandbox: %d worker processes per container, %d instructions per container%n",
                instructions, functionsPerInstruction, casesPerInstruction, s7Instructions, slow.size(), cpus, perContainer);

        JsonNode base = baseline(concat(s3, s7));
        double baselineRate = base.get("evaluations").asDouble() / base.get("seconds").asDouble();
        System.out.printf("baseline (exec in one Python process, no isolation): %d evaluations in %.2f s = %.0f evaluations/s%n",
                base.get("evaluations").asLong(), base.get("seconds").asDouble(), baselineRate);

        long evaluations = 0;
        long started = System.nanoTime();
        for (List<DockerSandbox.Group> workload : List.of(s3, s7)) {
            for (int from = 0; from < workload.size(); from += perContainer) {
                List<DockerSandbox.Group> chunk = workload.subList(from, Math.min(workload.size(), from + perContainer));
                for (List<FunctionEvaluation> rows : sandbox.evaluateGroups("bench", "bench", chunk, 1, () -> { })) {
                    for (FunctionEvaluation row : rows) evaluations += row.cells().size();
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        double sandboxRate = evaluations / seconds;
        System.out.printf("sandbox (throwaway containers, full isolation, end to end from Java): %d evaluations in %.2f s = %.0f evaluations/s%n",
                evaluations, seconds, sandboxRate);
        if (evaluations != base.get("evaluations").asLong()) {
            System.out.printf("note: the sandbox evaluated %d cells, the baseline %d (functions defined differently)%n",
                    evaluations, base.get("evaluations").asLong());
        }
        System.out.printf("ratio=%.3f%n", sandboxRate / baselineRate);
        return 0;
    }

    private JsonNode baseline(List<DockerSandbox.Group> groups) throws IOException, InterruptedException {
        return baseline(settings.verifierImage(), groups);
    }

    /** Runs baseline.py in the verifier image (same Python and packages), no limits, timing itself. */
    static JsonNode baseline(String image, List<DockerSandbox.Group> groups) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("autoif-bench", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path batch = dir.resolve("batch.json");
        Path script = dir.resolve("baseline.py");
        Files.write(batch, json.writeValueAsBytes(Map.of("groups", groups, "timeout_s", 1)));
        try (InputStream in = SandboxBenchmark.class.getResourceAsStream("/bench/baseline.py")) {
            Files.write(script, in.readAllBytes());
        }
        for (Path p : List.of(batch, script)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        Process p = new ProcessBuilder("docker", "run", "--rm", "--network", "none", "-v", dir + ":/bench:ro",
                image, "python3", "/bench/baseline.py", "/bench/batch.json")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("baseline failed with exit " + p.exitValue());
        }
        return json.readTree(out);
    }

    /** Usable functions and case inputs of each fixture instruction, as S2 would parse them. */
    static List<Fixture> fixtures() {
        List<Fixture> fixtures = new ArrayList<>();
        try (InputStream in = SandboxBenchmark.class.getResourceAsStream("/fakellm/verifier-completions.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) continue;
                LinkedHashSet<String> functions = new LinkedHashSet<>();
                LinkedHashSet<String> inputs = new LinkedHashSet<>();
                int index = 0;
                for (JsonNode completion : json.readTree(line).get("completions")) {
                    VerifierSample s = VerifierParser.parse(index++, new ChatSample(completion.asText(), "stop"));
                    if (s.usable()) {
                        functions.add(s.func());
                        s.cases().stream().map(TestCase::input).forEach(inputs::add);
                    }
                }
                if (!functions.isEmpty()) fixtures.add(new Fixture(List.copyOf(functions), List.copyOf(inputs)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fixtures;
    }

    static List<String> cycle(List<String> items, int n, int offset) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(items.get((offset + i) % items.size()));
        return out;
    }

    /** {@code own} first, then other fixtures' inputs, up to n. */
    static List<String> pad(List<String> own, List<String> all, int n, int offset) {
        List<String> out = new ArrayList<>(own.subList(0, Math.min(n, own.size())));
        for (int i = 0; out.size() < n; i++) out.add(all.get((offset + i) % all.size()));
        return out;
    }

    private static List<DockerSandbox.Group> concat(List<DockerSandbox.Group> a, List<DockerSandbox.Group> b) {
        List<DockerSandbox.Group> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    static List<DockerSandbox.Group> without(List<DockerSandbox.Group> groups, Set<String> slow) {
        return groups.stream()
                .map(g -> new DockerSandbox.Group(g.functions().stream().filter(f -> !slow.contains(f)).toList(), g.inputs()))
                .filter(g -> !g.functions().isEmpty())
                .toList();
    }
}
