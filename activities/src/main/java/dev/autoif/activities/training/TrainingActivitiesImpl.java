package dev.autoif.activities.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.artifacts.AtomicFiles;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.training.TrainingActivities;
import dev.autoif.workflows.activities.training.TrainingRequest;
import dev.autoif.workflows.activities.training.TrainingResult;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Runs the user's training command as a child process (no shell), stdout and stderr appended to
 * {@code roundDir/training.log}, heartbeating every second. The process tree is killed when the activity is cancelled
 * (the workflow was cancelled), when its attempt times out (the next heartbeat says so, or the local deadline of
 * {@code timeoutMinutes} passes), and when the worker stops.
 *
 * <p>Idempotency: after the command exits 0 and has written its output directory, {@code roundDir/training.done.json}
 * records the result; a later attempt (or a re-run of the round) finding it returns it without training again. An
 * attempt that finds no marker trains again from the start; it does not wipe the output directory, so a command that
 * can resume from its own checkpoints there may do so. A previous attempt's process still running on this host (its
 * worker died; recorded in {@code training.pid}) is killed first, so two trainings never write the same directory.
 */
public class TrainingActivitiesImpl implements TrainingActivities {
    static final String DONE_MARKER = "training.done.json";
    static final String PID_FILE = "training.pid";
    static final String LOG_FILE = "training.log";
    private static final ObjectMapper JSON = WireFormat.internalObjectMapper();
    private static final int TAIL_LINES = 30;
    private static final Duration KILL_GRACE = Duration.ofSeconds(10);

    @Override
    public TrainingResult train(TrainingRequest r) {
        ActivityExecutionContext context = Activity.getExecutionContext();
        int attempt = context.getInfo().getAttempt();
        Path roundDir = Path.of(r.roundDir()).toAbsolutePath();
        Path done = roundDir.resolve(DONE_MARKER);
        if (Files.isRegularFile(done)) {
            try {
                TrainingResult previous = JSON.readValue(done.toFile(), TrainingResult.class);
                return new TrainingResult(previous.exitCode(), previous.checkpoint(), previous.logFile(),
                        previous.seconds(), previous.attempt(), true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + done + ": " + e.getMessage(), e);
            }
        }
        Path outputDir = Path.of(r.outputDir()).toAbsolutePath();
        Path log = roundDir.resolve(LOG_FILE);
        Path pidFile = roundDir.resolve(PID_FILE);
        try {
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + outputDir + ": " + e.getMessage(), e);
        }
        killLeftover(pidFile, log);

        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("round", Integer.toString(r.round()));
        vars.put("pairs", Path.of(r.pairsFile()).toAbsolutePath().toString());
        vars.put("outputDir", outputDir.toString());
        vars.put("roundDir", roundDir.toString());
        vars.put("previousCheckpoint", r.previousCheckpoint() == null ? "" : r.previousCheckpoint());
        vars.put("policyModel", r.policyModel() == null ? "" : r.policyModel());
        List<String> argv = r.command().stream().map(a -> substitute(a, vars)).toList();
        ProcessBuilder builder = new ProcessBuilder(argv)
                .directory((r.workingDir() == null ? roundDir : Path.of(r.workingDir())).toFile())
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(log.toFile()))
                .redirectInput(Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = builder.environment();
        if (r.env() != null) {
            r.env().forEach((k, v) -> env.put(k, substitute(v, vars)));
        }
        env.put("AUTOIF_DPO_ROUND", vars.get("round"));
        env.put("AUTOIF_DPO_PAIRS", vars.get("pairs"));
        env.put("AUTOIF_DPO_OUTPUT_DIR", vars.get("outputDir"));
        env.put("AUTOIF_DPO_ROUND_DIR", vars.get("roundDir"));
        env.put("AUTOIF_DPO_PREVIOUS_CHECKPOINT", vars.get("previousCheckpoint"));
        env.put("AUTOIF_DPO_POLICY_MODEL", vars.get("policyModel"));

        appendLog(log, String.format("=== %s round %d attempt %d of %s: %s%n", Instant.now(), r.round(), attempt,
                r.runId(), argv));
        Instant started = Instant.now();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            appendLog(log, "=== cannot start: " + e.getMessage() + "\n");
            throw ApplicationFailure.newNonRetryableFailure("cannot start the training command " + argv + ": "
                    + e.getMessage() + " (is '" + argv.get(0) + "' installed and executable on the training worker?)",
                    FailureTypes.TRAINING_COMMAND_NOT_FOUND);
        }
        writePidFile(pidFile, process.toHandle());
        Instant deadline = started.plus(Duration.ofMinutes(r.timeoutMinutes()));
        int exit;
        try {
            while (!process.waitFor(1, java.util.concurrent.TimeUnit.SECONDS)) {
                // Throws when the workflow cancelled the activity or the attempt timed out: the finally kills the tree.
                context.heartbeat(Duration.between(started, Instant.now()).toSeconds());
                if (Instant.now().isAfter(deadline)) {
                    ProcessTrees.kill(process.toHandle(), KILL_GRACE);
                    appendLog(log, "=== killed after timeoutMinutes=" + r.timeoutMinutes() + "\n");
                    throw ApplicationFailure.newNonRetryableFailure("the training command ran longer than "
                            + "timeoutMinutes=" + r.timeoutMinutes() + " and was killed; last lines of " + log + ":\n"
                            + tail(log), FailureTypes.TRAINING_TIMED_OUT);
                }
            }
            exit = process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("the training worker is shutting down; the round will be trained again",
                    FailureTypes.TRAINING_WORKER_SHUTDOWN);
        } catch (ActivityCompletionException e) {
            appendLog(log, "=== stopped: " + e.getClass().getSimpleName() + " (workflow cancelled or attempt timed out)\n");
            throw e;
        } finally {
            if (process.isAlive() || process.toHandle().descendants().findAny().isPresent()) {
                ProcessTrees.kill(process.toHandle(), KILL_GRACE);
            }
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // only a hint for the next attempt
            }
        }
        long seconds = Duration.between(started, Instant.now()).toSeconds();
        appendLog(log, "=== exit " + exit + " after " + seconds + " s\n");
        if (exit != 0) {
            String tail = tail(log);
            throw ApplicationFailure.newNonRetryableFailure("the training command exited with code " + exit
                    + "; last lines of " + log + ":\n" + tail, FailureTypes.TRAINING_COMMAND_FAILED, exit, tail);
        }
        if (isEmptyDir(outputDir)) {
            throw ApplicationFailure.newNonRetryableFailure("the training command exited 0 but wrote nothing to "
                    + "AUTOIF_DPO_OUTPUT_DIR=" + outputDir + "; last lines of " + log + ":\n" + tail(log),
                    FailureTypes.TRAINING_NO_CHECKPOINT);
        }
        TrainingResult result = new TrainingResult(0, outputDir.toString(), log.toString(), seconds, attempt, false);
        try {
            AtomicFiles.write(done, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    static String substitute(String s, Map<String, String> vars) {
        String out = s;
        for (Map.Entry<String, String> v : vars.entrySet()) {
            out = out.replace("{" + v.getKey() + "}", v.getValue());
        }
        return out;
    }

    /** The last lines of the log (at most 4 KB). */
    static String tail(Path log) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            int n = (int) Math.min(len, 4096);
            byte[] bytes = new byte[n];
            f.seek(len - n);
            f.readFully(bytes);
            List<String> lines = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static boolean isEmptyDir(Path dir) {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            return true;
        }
    }

    private static void appendLog(Path log, String line) {
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + log + ": " + e.getMessage(), e);
        }
    }

    /** "pid startInstant": enough to recognise the same process later (pids are reused). */
    private static void writePidFile(Path pidFile, ProcessHandle handle) {
        String start = handle.info().startInstant().map(Instant::toString).orElse("?");
        AtomicFiles.write(pidFile, handle.pid() + " " + start + "\n");
    }

    /** A previous attempt's command, still running on this host because its worker died: killed before retraining. */
    private static void killLeftover(Path pidFile, Path log) {
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        try {
            String[] parts = Files.readString(pidFile).strip().split(" ");
            Optional<ProcessHandle> old = ProcessHandle.of(Long.parseLong(parts[0]));
            if (old.isPresent() && old.get().isAlive() && parts.length > 1
                    && old.get().info().startInstant().map(Instant::toString).orElse("").equals(parts[1])) {
                appendLog(log, "=== killing the previous attempt's process " + parts[0] + "\n");
                ProcessTrees.kill(old.get(), KILL_GRACE);
            }
            Files.deleteIfExists(pidFile);
        } catch (IOException | RuntimeException e) {
            appendLog(log, "=== could not check " + pidFile + ": " + e.getMessage() + "\n");
        }
    }
}
