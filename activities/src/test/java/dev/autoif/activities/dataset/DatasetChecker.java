package dev.autoif.activities.dataset;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs deploy/scripts/check-datasets.py on a directory of exported datasets, in the venv that
 * deploy/scripts/ensure-dataset-tools.sh creates: the files are loaded with Hugging Face {@code datasets}, as
 * LLaMA-Factory and TRL load them. Shared with the worker's end-to-end tests (test-jar).
 */
public final class DatasetChecker {
    private DatasetChecker() {}

    public static final String ENSURE = DatasetToolsPython.ENSURE;

    public record Run(int exit, String out) {}

    public static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("deploy/scripts/check-datasets.py"))) {
                return p;
            }
        }
        throw new AssertionError("deploy/scripts/check-datasets.py not found above " + Path.of("").toAbsolutePath());
    }

    public static Path python() {
        return DatasetToolsPython.find().orElseGet(() -> fail(DatasetToolsPython.missing()));
    }

    public static Run check(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(python().toString(), repoRoot().resolve("deploy/scripts/check-datasets.py").toString(),
                dir.toString()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("check-datasets.py did not finish in 120 s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
