package dev.autoif.activities.sandbox;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Ulimit;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.api.model.StreamType;
import dev.autoif.activities.telemetry.Telemetry;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import io.temporal.failure.ApplicationFailure;
import java.io.ByteArrayInputStream;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a batch of untrusted verifier functions against a batch of inputs in one throwaway
 * container: no network, read-only root, a small tmpfs, no-new-privileges, memory/CPU/pids
 * limits, and nothing from the host's environment. Inside, runner.py starts as root with only the
 * capabilities it needs to give every instruction (group) a uid of its own (setuid, setgid,
 * chown, kill); verifier code never runs as root and keeps no capability. Each group travels in a
 * file only the runner can read. The report is accepted only if it is the one document on
 * stdout, carries this container's token, and has exactly the batch's shape. The container is
 * always removed; ones orphaned by a crashed worker are swept by {@link #sweepOrphans()}.
 */
public final class DockerSandbox {
    public static final String LABEL_ROLE = "dev.autoif.sandbox";
    public static final String LABEL_CAMPAIGN = "dev.autoif.campaign";
    public static final String LABEL_BATCH = "dev.autoif.batch";
    /** Epoch second after which no live worker can still own the container. */
    public static final String LABEL_EXPIRES = "dev.autoif.expires";
    /** Epoch second the batch's volume was made. */
    public static final String LABEL_CREATED = "dev.autoif.created";
    /** How long after exiting (containers) or being made (volumes) an unclaimed one counts as orphaned. */
    public static final long ORPHAN_GRACE_SECONDS = 30;
    /** The runner's supervisor; it drops every instruction's code to a uid of its own at once. */
    private static final String SANDBOX_USER = "0:0";
    private static final List<Capability> RUNNER_CAPABILITIES = List.of(Capability.SETUID, Capability.SETGID,
            Capability.CHOWN, Capability.KILL);
    private static final String BATCH_DIR = "/batch";
    private static final Logger log = LoggerFactory.getLogger(DockerSandbox.class);

    private final DockerClient docker;
    private final SandboxSettings settings;
    private final String runnerSource;
    private final Telemetry telemetry;
    private final ObjectMapper json = new ObjectMapper();
    /** Exactly one document: anything after the report (a second, forged one) makes it unreadable. */
    private static final ObjectMapper REPORT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final java.security.SecureRandom TOKENS = new java.security.SecureRandom();
    private volatile boolean imageChecked;
    private final java.util.concurrent.atomic.AtomicLong containersCreated = new java.util.concurrent.atomic.AtomicLong();
    /** Containers of this sandbox that exist right now, and the most at once: what the concurrency bound must cap. */
    private final java.util.concurrent.atomic.AtomicInteger containersAlive = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger maxContainersAlive = new java.util.concurrent.atomic.AtomicInteger();

    public DockerSandbox(DockerClient docker, SandboxSettings settings, Telemetry telemetry) {
        this.docker = docker;
        this.settings = settings;
        this.telemetry = telemetry;
        this.runnerSource = loadRunner();
    }

    public DockerSandbox(DockerClient docker, SandboxSettings settings) {
        this(docker, settings, Telemetry.none());
    }

    /** Containers this sandbox has created so far (one per evaluate/evaluateGroups that reached the engine). */
    public long containersCreated() {
        return containersCreated.get();
    }

    /** The most containers of this sandbox that existed at the same time. */
    public int maxConcurrentContainers() {
        return maxContainersAlive.get();
    }

    /** One independent function x input matrix of a batch. */
    public record Group(List<String> functions, List<String> inputs) {}

    /**
     * A group's rows, and whether another group of the same container may have caused some of them
     * (a timeout while starved of CPU, a SIGKILL from the kernel, a full /tmp, the batch deadline, a
     * lost worker process): such a group's rows count only if it ran alone.
     */
    public record GroupResult(List<FunctionEvaluation> rows, boolean disturbed) {}

    /** Evaluates every function on every input; {@code heartbeat} is called every few seconds. */
    public EvaluationResult evaluate(EvaluationBatch batch, Runnable heartbeat) {
        List<GroupResult> groups = runGroups(batch.campaignId(), batch.label(),
                List.of(new Group(batch.functions(), batch.inputs())), batch.timeoutSeconds(), heartbeat);
        return new EvaluationResult(groups.get(0).rows());
    }

    /**
     * Several independent matrices in one container, so that container start-up is paid once for
     * many instructions; the result has one list of rows per group, in order (disturbed or not).
     */
    public List<List<FunctionEvaluation>> evaluateGroups(String campaignId, String label, List<Group> groups,
                                                         int timeoutSeconds, Runnable heartbeat) {
        return runGroups(campaignId, label, groups, timeoutSeconds, heartbeat).stream().map(GroupResult::rows).toList();
    }

    /** {@link #evaluateGroups}, saying for each group whether it was {@linkplain GroupResult#disturbed() disturbed}. */
    public List<GroupResult> runGroups(String campaignId, String label, List<Group> groups, int timeoutSeconds,
                                       Runnable heartbeat) {
        return telemetry.sandboxRun(campaignId, groups.size(),
                () -> runInContainer(campaignId, label, groups, timeoutSeconds, heartbeat),
                results -> results.stream().map(GroupResult::rows).toList());
    }

    private List<GroupResult> runInContainer(String campaignId, String label, List<Group> groups, int timeoutSeconds,
                                             Runnable heartbeat) {
        requireImage();
        Instant expires = Instant.now().plus(settings.batchDeadline()).plusSeconds(120);
        Map<String, String> labels = Map.of(LABEL_ROLE, "verifier", LABEL_CAMPAIGN, safe(campaignId),
                LABEL_BATCH, safe(label), LABEL_EXPIRES, Long.toString(expires.getEpochSecond()),
                LABEL_CREATED, Long.toString(Instant.now().getEpochSecond()));
        // The batch travels in a throwaway volume: the root is read-only, a tmpfs cannot be copied
        // into, and attached stdin shares its socket with the output stream.
        String volume = engineCall(() -> docker.createVolumeCmd().withName("autoif-batch-" + UUID.randomUUID())
                .withLabels(labels).exec().getName());
        String id = null;
        try {
            id = createContainer(volume, labels, List.of(BATCH_DIR), false);
            String container = id;
            String token = newToken();
            byte[] tar = batchArchive(groups, timeoutSeconds, token);
            engineCall(() -> docker.copyArchiveToContainerCmd(container).withRemotePath(BATCH_DIR)
                    .withTarInputStream(new ByteArrayInputStream(tar)).exec());
            return runContainer(container, heartbeat, groups, token);
        } finally {
            if (id != null) {
                removeContainer(id);
            }
            removeVolume(volume);
        }
    }

    /**
     * A container that stays up for many batches (the reward service's warm pool), with the same
     * limits, capabilities and checks as a throwaway one; see {@link WarmContainer}. Its expiry
     * label allows for {@code maxAge}: the pool replaces it before then.
     */
    public WarmContainer startWarm(String campaignId, Duration maxAge) {
        requireImage();
        Instant expires = Instant.now().plus(maxAge).plus(settings.batchDeadline()).plusSeconds(120);
        Map<String, String> labels = Map.of(LABEL_ROLE, "verifier", LABEL_CAMPAIGN, safe(campaignId),
                LABEL_BATCH, "warm", LABEL_EXPIRES, Long.toString(expires.getEpochSecond()),
                LABEL_CREATED, Long.toString(Instant.now().getEpochSecond()));
        String volume = engineCall(() -> docker.createVolumeCmd().withName("autoif-batch-" + UUID.randomUUID())
                .withLabels(labels).exec().getName());
        String id = null;
        try {
            id = createContainer(volume, labels, List.of("--serve", BATCH_DIR), true);
            WarmContainer warm = new WarmContainer(this, docker, id, volume, settings);
            id = null; // the warm container owns it now
            return warm;
        } finally {
            if (id != null) {
                removeContainer(id);
                removeVolume(volume);
            }
        }
    }

    private String createContainer(String volume, Map<String, String> labels, List<String> runnerArguments, boolean stdin) {
        List<String> command = new ArrayList<>(List.of("python3", "-P", "-c", runnerSource));
        command.addAll(runnerArguments);
        String id = engineCall(() -> docker.createContainerCmd(settings.image())
                // The runner travels with the worker, so image and runner cannot drift apart.
                // -P: the working directory is not put on sys.path, so no file can shadow a module.
                .withCmd(command)
                // A fixed hash seed makes set/dict-order-dependent verifiers deterministic. HOME is
                // the runner's; every instruction gets its own HOME and TMPDIR.
                .withEnv("PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1", "HOME=/root")
                .withUser(SANDBOX_USER)
                .withWorkingDir("/")
                .withNetworkDisabled(true)
                .withLabels(labels)
                // A warm container's batches arrive on stdin, its reports leave on the attached stdout.
                .withStdinOpen(stdin)
                .withAttachStdin(stdin)
                .withAttachStdout(stdin)
                .withAttachStderr(stdin)
                .withHostConfig(HostConfig.newHostConfig()
                        .withNetworkMode("none")
                        .withReadonlyRootfs(true)
                        // Readable and writable by the runner's root only: no verifier can read
                        // another instruction's file, or fill it.
                        .withBinds(new Bind(volume, new Volume(BATCH_DIR)))
                        .withTmpFs(Map.of("/tmp", "rw,nosuid,nodev,noexec,size=" + settings.tmpfsMb() + "m"))
                        .withCapDrop(Capability.ALL)
                        .withCapAdd(RUNNER_CAPABILITIES.toArray(Capability[]::new))
                        .withSecurityOpts(List.of("no-new-privileges"))
                        .withMemory(settings.memoryMb() * 1024L * 1024L)
                        .withMemorySwap(settings.memoryMb() * 1024L * 1024L)
                        .withNanoCPUs((long) (settings.cpus() * 1_000_000_000L))
                        .withPidsLimit(settings.pids())
                        // A warm container's output is read from its attached stream; the log would only grow.
                        .withLogConfig(stdin ? new LogConfig(LogConfig.LoggingType.NONE)
                                : new LogConfig(LogConfig.LoggingType.JSON_FILE, Map.of("max-size", "32m")))
                        .withUlimits(List.of(new Ulimit("nofile", 256L, 256L))))
                .exec().getId());
        containersCreated.incrementAndGet();
        maxContainersAlive.accumulateAndGet(containersAlive.incrementAndGet(), Math::max);
        return id;
    }

    void removeContainer(String id) {
        remove(id);
        containersAlive.decrementAndGet();
    }

    private List<GroupResult> runContainer(String id, Runnable heartbeat, List<Group> groups, String token) {
        try {
            engineCall(() -> docker.startContainerCmd(id).exec());
            int exit = awaitExit(id, heartbeat);
            // Read after exit rather than streamed: the runner prints one document at the very end.
            OutputCollector output = new OutputCollector(settings.maxOutputBytes());
            engineCall(() -> docker.logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(false)
                    .exec(output));
            output.awaitCompletion(30, TimeUnit.SECONDS);
            if (output.overflowed()) {
                throw ApplicationFailure.newFailure("sandbox runner printed more than " + settings.maxOutputBytes()
                        + " bytes", FailureTypes.SANDBOX_OUTPUT_TOO_LARGE);
            }
            if (exit != 0) {
                throw ApplicationFailure.newFailure("sandbox runner exited with " + exit + (exit == 137 ? " (killed: memory limit?)" : "")
                        + ": " + output.stderrTail(), FailureTypes.SANDBOX_RUNNER_FAILED);
            }
            try {
                return readReport(output.stdout(), groups, token);
            } catch (IOException | RuntimeException e) {
                throw ApplicationFailure.newFailure("sandbox runner returned unreadable output (" + e.getMessage() + ")"
                        + (output.streamError != null ? "; log stream failed: " + output.streamError : "")
                        + "; stderr: " + output.stderrTail(), FailureTypes.SANDBOX_RUNNER_FAILED);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted while waiting for sandbox container", FailureTypes.SANDBOX_INTERRUPTED);
        }
    }

    /**
     * The batch for the batch volume, root-owned and readable by root alone (the runner, not the
     * verifiers): batch.json with the settings, and one groups/G.json per group, so that each
     * evaluator reads its own instruction's functions and inputs and nothing else.
     */
    private byte[] batchArchive(List<Group> groups, int timeoutSeconds, String token) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            putFile(tar, "batch.json", json.writeValueAsBytes(settings(groups.size(), timeoutSeconds, token)));
            TarArchiveEntry dir = new TarArchiveEntry("groups/");
            dir.setMode(040700);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
            for (int g = 0; g < groups.size(); g++) {
                putFile(tar, "groups/" + g + ".json", json.writeValueAsBytes(groups.get(g)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void putFile(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        entry.setMode(0100400);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    static String newToken() {
        byte[] raw = new byte[16];
        TOKENS.nextBytes(raw);
        return java.util.HexFormat.of().formatHex(raw);
    }

    /** Polls the container's state (quickly at first, then every 250 ms), heartbeating, until it exits. */
    private int awaitExit(String id, Runnable heartbeat) throws InterruptedException {
        long deadline = System.nanoTime() + settings.batchDeadline().plusSeconds(30).toNanos();
        long lastHeartbeat = 0;
        long pause = 10;
        while (true) {
            var state = engineCall(() -> docker.inspectContainerCmd(id).exec().getState());
            if (!Boolean.TRUE.equals(state.getRunning()) && state.getExitCodeLong() != null) {
                return state.getExitCodeLong().intValue();
            }
            if (System.nanoTime() - lastHeartbeat > TimeUnit.SECONDS.toNanos(5)) {
                heartbeat.run();
                lastHeartbeat = System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                throw ApplicationFailure.newFailure("sandbox batch exceeded its deadline of "
                        + settings.batchDeadline().toSeconds() + " s", FailureTypes.SANDBOX_DEADLINE_EXCEEDED);
            }
            Thread.sleep(pause);
            pause = Math.min(250, pause * 2);
        }
    }

    /** Removes verifier containers no live worker can own any more: exited ones, and expired ones. */
    public int sweepOrphans() {
        List<Container> containers = engineCall(() -> docker.listContainersCmd()
                .withShowAll(true).withLabelFilter(Map.of(LABEL_ROLE, "verifier")).exec());
        long now = Instant.now().getEpochSecond();
        int removed = 0;
        for (Container c : containers) {
            boolean expired = parseLong(c.getLabels().getOrDefault(LABEL_EXPIRES, "0")) < now;
            // A worker killed between creating and starting a container leaves it "created" for good.
            boolean neverStarted = "created".equals(c.getState()) && c.getCreated() != null
                    && c.getCreated() < now - ORPHAN_GRACE_SECONDS;
            if (expired || neverStarted || exitedLongAgo(c.getId())) {
                remove(c.getId());
                removed++;
            }
        }
        var volumes = engineCall(() -> docker.listVolumesCmd().withFilter("label", List.of(LABEL_ROLE + "=verifier")).exec());
        if (volumes.getVolumes() != null) {
            for (var v : volumes.getVolumes()) {
                String created = v.getLabels() == null ? "0" : v.getLabels().getOrDefault(LABEL_CREATED, "0");
                // The engine refuses to remove a volume a container still uses, so only orphans go.
                if (parseLong(created) < now - ORPHAN_GRACE_SECONDS && removeVolume(v.getName())) {
                    removed++;
                }
            }
        }
        if (removed > 0) {
            log.info("swept {} orphaned verifier container(s) and volume(s)", removed);
        }
        return removed;
    }

    /**
     * A live worker reads its container's output within moments of the exit; one that exited a
     * while ago belongs to a worker that died. (Several workers may share one engine.)
     */
    private boolean exitedLongAgo(String id) {
        try {
            var state = docker.inspectContainerCmd(id).exec().getState();
            if (Boolean.TRUE.equals(state.getRunning()) || state.getFinishedAt() == null || state.getFinishedAt().startsWith("0001")) {
                return false;
            }
            return Instant.parse(state.getFinishedAt()).isBefore(Instant.now().minusSeconds(ORPHAN_GRACE_SECONDS));
        } catch (NotFoundException | java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    /** Fails non-retryably, naming the command that builds it, when the image is absent. */
    public void requireImage() {
        if (imageChecked) {
            return;
        }
        try {
            engineCall(() -> docker.inspectImageCmd(settings.image()).exec());
        } catch (NotFoundException e) {
            throw ApplicationFailure.newNonRetryableFailure("verifier image '" + settings.image() + "' is not on the Docker engine: "
                    + "build it with `bash deploy/verifier/build-image.sh " + settings.image() + "` (no registry needed) or "
                    + "`docker build -t " + settings.image() + " deploy/verifier`", FailureTypes.SANDBOX_IMAGE_MISSING);
        }
        imageChecked = true;
    }

    Map<String, Object> settings(int groups, int timeoutSeconds, String token) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", token);
        body.put("groups", groups);
        body.put("timeout_s", timeoutSeconds);
        body.put("deadline_s", settings.batchDeadline().toSeconds());
        // Leave headroom under the container limit for the runner itself.
        body.put("memory_mb", Math.max(64, settings.memoryMb() - 96));
        body.put("seed", 0);
        body.put("workers", Math.max(1, (int) Math.round(settings.cpus())));
        return body;
    }

    /**
     * Reads the runner's compact report (see runner.py) into pass-matrix rows, refusing (with an
     * IOException or IllegalArgumentException naming the problem) anything but exactly one JSON
     * document on stdout, and any report that is not this container's (token)
     * or not exactly in the shape of the batch: groups x functions x inputs, an abstention for every
     * '?' cell and for nothing else.
     */
    static List<GroupResult> readReport(byte[] stdout, List<Group> batch, String token) throws IOException {
        return parseReport(REPORT.readTree(stdout), batch, token);
    }

    static List<GroupResult> parseReport(JsonNode report, List<Group> batch, String token) {
        if (!report.isObject() || !token.equals(report.path("token").asText(null))) {
            throw new IllegalArgumentException("the report does not carry this container's token");
        }
        JsonNode groups = report.path("groups");
        if (!groups.isArray() || groups.size() != batch.size()) {
            throw new IllegalArgumentException("the report has " + groups.size() + " groups, the batch " + batch.size());
        }
        List<GroupResult> results = new ArrayList<>();
        for (int g = 0; g < batch.size(); g++) {
            JsonNode group = groups.get(g);
            JsonNode rowsNode = group.path("rows");
            int functions = batch.get(g).functions().size();
            int inputs = batch.get(g).inputs().size();
            if (!rowsNode.isArray() || rowsNode.size() != functions || !group.path("disturbed").isBoolean()) {
                throw new IllegalArgumentException("group " + g + " of the report is not " + functions + " rows");
            }
            List<FunctionEvaluation> rows = new ArrayList<>();
            for (int f = 0; f < functions; f++) {
                rows.add(parseRow(rowsNode.get(f), inputs, "group " + g + " row " + f));
            }
            results.add(new GroupResult(rows, group.get("disturbed").asBoolean()));
        }
        return results;
    }

    private static FunctionEvaluation parseRow(JsonNode row, int inputs, String where) {
        JsonNode definitionError = row.path("definitionError");
        JsonNode codesNode = row.path("cells");
        if (!codesNode.isTextual()) {
            throw new IllegalArgumentException(where + " has no cells");
        }
        String codes = codesNode.asText();
        if (definitionError.isTextual()) {
            if (!codes.isEmpty()) throw new IllegalArgumentException(where + " has a definition error and cells");
            return new FunctionEvaluation(definitionError.asText(), List.of());
        }
        JsonNode abstentions = row.path("abstentions");
        if (!definitionError.isNull() || codes.length() != inputs || !abstentions.isObject()) {
            throw new IllegalArgumentException(where + " is not " + inputs + " cells");
        }
        List<Cell> cells = new ArrayList<>(inputs);
        int abstained = 0;
        for (int i = 0; i < inputs; i++) {
            char code = codes.charAt(i);
            if (code == 'T' || code == 'F') {
                cells.add(new Cell(code == 'T', "bool", null, false));
                continue;
            }
            JsonNode why = abstentions.path(Integer.toString(i));
            if (code != '?' || !why.isObject()) {
                throw new IllegalArgumentException(where + " cell " + i + " is neither T, F nor an explained abstention");
            }
            abstained++;
            if (why.has("t")) {
                cells.add(new Cell(null, why.get("t").asText(), null, false));
            } else {
                cells.add(new Cell(null, null, why.path("e").asText("no reason reported"), why.path("to").asBoolean(false)));
            }
        }
        if (abstained != abstentions.size()) {
            throw new IllegalArgumentException(where + " explains abstentions it does not have");
        }
        return new FunctionEvaluation(null, cells);
    }

    boolean removeVolume(String volume) {
        try {
            docker.removeVolumeCmd(volume).exec();
            return true;
        } catch (NotFoundException | com.github.dockerjava.api.exception.ConflictException goneOrInUse) {
            return false;
        } catch (RuntimeException e) {
            log.warn("could not remove batch volume {} (the next sweep will): {}", volume, e.toString());
            return false;
        }
    }

    private void remove(String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException alreadyGone) {
            // removed by someone else: fine
        } catch (RuntimeException e) {
            log.warn("could not remove sandbox container {} (the next sweep will): {}", id, e.toString());
        }
    }

    /** Turns "the engine is not there" into a retryable failure that says so. */
    <T> T engineCall(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (NotFoundException e) {
            throw e;
        } catch (RuntimeException e) {
            if (hasCause(e, IOException.class)) {
                throw ApplicationFailure.newFailure("Docker engine unreachable (" + rootMessage(e) + "): start it, e.g. "
                        + "`bash deploy/scripts/ensure-docker-engine.sh`, or set DOCKER_HOST", FailureTypes.SANDBOX_ENGINE_DOWN);
            }
            throw e;
        }
    }

    void engineCall(Runnable call) {
        engineCall(() -> {
            call.run();
            return null;
        });
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) return true;
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null) c = c.getCause();
        return c.toString();
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Label values must stay short and printable. */
    private static String safe(String s) {
        String v = s == null ? "" : s.replaceAll("[^A-Za-z0-9_.:/-]", "_");
        return v.length() > 120 ? v.substring(0, 120) : v;
    }

    private static String loadRunner() {
        try (InputStream in = DockerSandbox.class.getResourceAsStream("runner.py")) {
            if (in == null) {
                throw new IllegalStateException("runner.py missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Collects the runner's stdout (capped) and the tail of its stderr. */
    private static final class OutputCollector extends ResultCallback.Adapter<Frame> {
        private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        private final StderrTail stderr = new StderrTail();
        private final int cap;
        private volatile boolean overflowed;
        private volatile Throwable streamError;

        OutputCollector(int cap) {
            this.cap = cap;
        }

        @Override
        public void onNext(Frame frame) {
            byte[] bytes = frame.getPayload();
            if (frame.getStreamType() == StreamType.STDERR) {
                stderr.append(bytes);
                return;
            }
            synchronized (stdout) {
                if (stdout.size() + bytes.length > cap) {
                    overflowed = true;
                } else {
                    stdout.write(bytes, 0, bytes.length);
                }
            }
        }

        @Override
        public void onError(Throwable throwable) {
            streamError = throwable;
            super.onError(throwable);
        }

        boolean overflowed() {
            return overflowed;
        }

        byte[] stdout() {
            synchronized (stdout) {
                return stdout.toByteArray();
            }
        }

        String stderrTail() {
            return stderr.toString();
        }
    }
}
