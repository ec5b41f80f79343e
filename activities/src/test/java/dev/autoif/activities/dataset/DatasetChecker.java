package dev.autoif.activities.dataset;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs deploy/scripts/check-datasets.py on a directory of exported datasets, in the venv that
 * deploy/scripts/ensure-dataset-tools.sh creates: the files are loaded with Hugging Face {@code datasets}, as
 * LLaMA-Factory and TRL load them. Shared with the worker's end-to-end tests (test-jar).
 */
public final class DatasetChecker {
    private DatasetChecker() {}

    public static final String ENSURE = "deploy/scripts/ensure-dataset-tools.sh";

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
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("AUTOIF_DATASET_PYTHON");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        } else {
            String dir = System.getenv("AUTOIF_DATASET_TOOLS_DIR");
            if (dir != null && !dir.isBlank()) {
                candidates.add(Path.of(dir, "bin", "python"));
            }
            candidates.add(Path.of("/opt/autoif/dataset-tools/bin/python"));
            candidates.add(Path.of(System.getProperty("user.home"), ".local/share/autoif/dataset-tools/bin/python"));
        }
        for (Path p : candidates) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("no dataset-tools Python (with Hugging Face `datasets`) at " + candidates
                + ": run `bash " + ENSURE + "` (or set AUTOIF_DATASET_PYTHON)");
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
