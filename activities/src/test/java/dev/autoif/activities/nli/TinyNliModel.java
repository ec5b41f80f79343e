package dev.autoif.activities.nli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds a real but tiny ONNX NLI model directory (model.onnx + tokenizer.json + config.json) with
 * nli/make_tiny_nli.py, in the venv that deploy/scripts/ensure-nli-test-tools.sh creates (run here: it is idempotent
 * and quick when the venv exists). No real NLI weights are reachable in CI. Without the venv the calling test fails
 * naming the script; it never skips. See make_tiny_nli.py for what the model answers.
 */
public final class TinyNliModel {
    public static final String ENSURE = "deploy/scripts/ensure-nli-test-tools.sh";
    public static final String PREMISE = "Answer in English.";
    public static final String ENTAILED = "Answer in English.";
    public static final String CONTRADICTING = "Do not answer in English.";
    public static final String NEUTRAL = "Use a title.";

    private TinyNliModel() {}

    public static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(ENSURE))) {
                return p;
            }
        }
        throw new AssertionError(ENSURE + " not found above " + Path.of("").toAbsolutePath());
    }

    /** The venv's python: AUTOIF_NLI_PYTHON, else what the ensure script prints (it creates the venv if needed). */
    static Path python() throws IOException, InterruptedException {
        String env = System.getenv("AUTOIF_NLI_PYTHON");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Run run = run(List.of("bash", repoRoot().resolve(ENSURE).toString()), 600);
        String[] lines = run.out().strip().split("\n");
        String last = lines[lines.length - 1];
        String marker = "python: ";
        if (run.exit() != 0 || !last.contains(marker)) {
            fail("the NLI test tools (Python venv with onnx + tokenizers) are not available: `bash " + ENSURE
                    + "` exited " + run.exit() + ":\n" + run.out());
        }
        return Path.of(last.substring(last.indexOf(marker) + marker.length()).strip());
    }

    /**
     * @param tokenTypeIds whether the model also takes token_type_ids (and counts only the hypothesis segment)
     * @return a new directory holding the model
     */
    public static Path build(Path parent, String name, boolean tokenTypeIds) throws IOException, InterruptedException {
        // Copied out of the classpath: other modules' tests read this class from a test-jar, where it is no file.
        Path script = parent.resolve("make_tiny_nli.py");
        try (var in = TinyNliModel.class.getResourceAsStream("/nli/make_tiny_nli.py")) {
            if (in == null) {
                throw new IllegalStateException("nli/make_tiny_nli.py missing from the test classpath");
            }
            Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Path dir = parent.resolve(name);
        List<String> command = new ArrayList<>(List.of(python().toString(), script.toString(), dir.toString()));
        if (tokenTypeIds) {
            command.add("--token-type-ids");
        }
        Run run = run(command, 120);
        if (run.exit() != 0) {
            fail("make_tiny_nli.py (in the venv of `bash " + ENSURE + "`) failed with exit " + run.exit() + ":\n"
                    + run.out());
        }
        return dir;
    }

    record Run(int exit, String out) {}

    private static Run run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
