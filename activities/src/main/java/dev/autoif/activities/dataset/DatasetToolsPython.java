package dev.autoif.activities.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Python of the dataset-tools venv (Hugging Face datasets + pyarrow) that deploy/scripts/ensure-dataset-tools.sh
 * creates: $AUTOIF_DATASET_PYTHON, else $AUTOIF_DATASET_TOOLS_DIR/bin/python, else the script's default locations.
 */
public final class DatasetToolsPython {
    private DatasetToolsPython() {}

    public static final String ENSURE = "deploy/scripts/ensure-dataset-tools.sh";

    public static List<Path> candidates() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("AUTOIF_DATASET_PYTHON");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
            return candidates;
        }
        String dir = System.getenv("AUTOIF_DATASET_TOOLS_DIR");
        if (dir != null && !dir.isBlank()) {
            candidates.add(Path.of(dir, "bin", "python"));
        }
        candidates.add(Path.of("/opt/autoif/dataset-tools/bin/python"));
        candidates.add(Path.of(System.getProperty("user.home"), ".local/share/autoif/dataset-tools/bin/python"));
        return candidates;
    }

    public static Optional<Path> find() {
        return candidates().stream().filter(Files::isExecutable).findFirst();
    }

    /** What to tell a user who has none. */
    public static String missing() {
        return "no dataset-tools Python (Hugging Face datasets + pyarrow) at " + candidates()
                + ": run `bash " + ENSURE + "` (or set AUTOIF_DATASET_PYTHON)";
    }
}
