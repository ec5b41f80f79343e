package dev.autoif.activities.sandbox;

import dev.autoif.workflows.FailureTypes;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import io.temporal.failure.ApplicationFailure;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A verifier container that runs many batches, one at a time: runner.py's serve loop reads each batch as a
 * length-prefixed frame on the attached stdin and answers with one length-prefixed report on stdout, which only its
 * PID 1 holds. Every batch runs as it would in a container of its own (files readable by root alone, shards forked
 * for it, uids never used before in this container); the report must carry that batch's token and have its shape,
 * exactly as {@link DockerSandbox#readReport} checks. It also says whether the batch left the container clean; the
 * {@link WarmSandboxPool} replaces a container that is not, that failed, or that has served enough batches.
 */
public final class WarmContainer implements AutoCloseable {
    private static final ObjectMapper REPORT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final byte[] ENDED = new byte[0];

    private final DockerSandbox sandbox;
    private final DockerClient docker;
    private final String id;
    private final String volume;
    private final SandboxSettings settings;
    private final ObjectMapper json = new ObjectMapper();
    private final OutputStream stdin;
    private final Reports reports;
    private final Instant started = Instant.now();
    private int batches;
    private volatile boolean closed;

    /** One batch's rows, and whether the container may take another batch (nothing left behind, no tampering). */
    public record Outcome(List<DockerSandbox.GroupResult> groups, boolean clean) {}

    WarmContainer(DockerSandbox sandbox, DockerClient docker, String id, String volume, SandboxSettings settings) {
        this.sandbox = sandbox;
        this.docker = docker;
        this.id = id;
        this.volume = volume;
        this.settings = settings;
        this.reports = new Reports(settings.maxOutputBytes());
        try {
            // A pipe channel, not PipedInputStream: the threads that write batches come and go.
            Pipe pipe = Pipe.open();
            this.stdin = Channels.newOutputStream(pipe.sink());
            sandbox.engineCall(() -> docker.attachContainerCmd(id).withStdIn(Channels.newInputStream(pipe.source()))
                    .withStdOut(true).withStdErr(true).withFollowStream(true).exec(reports));
            if (!reports.awaitStarted(30, TimeUnit.SECONDS)) {
                throw ApplicationFailure.newFailure("could not attach to warm sandbox container " + id, FailureTypes.SANDBOX_RUNNER_FAILED);
            }
            sandbox.engineCall(() -> docker.startContainerCmd(id).exec());
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeStreams(); // the container and its volume: DockerSandbox#startWarm removes them
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            throw e instanceof RuntimeException r ? r
                    : ApplicationFailure.newFailure("could not start warm sandbox container: " + e, FailureTypes.SANDBOX_RUNNER_FAILED);
        }
    }

    public String id() {
        return id;
    }

    /** Batches this container has run (or tried to). */
    public synchronized int batches() {
        return batches;
    }

    public Instant started() {
        return started;
    }

    /** False once its output stream has ended (the container stopped, or was removed). */
    public boolean alive() {
        return !reports.ended;
    }

    /**
     * Runs one batch; throws an {@link ApplicationFailure} when the container ends, overruns the batch deadline, or
     * answers with anything but this batch's report (the container is then unfit for another batch).
     */
    public synchronized Outcome run(List<DockerSandbox.Group> groups, int timeoutSeconds) {
        batches++;
        String token = DockerSandbox.newToken();
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("batch", sandbox.settings(groups.size(), timeoutSeconds, token));
        message.put("groups", groups);
        try {
            byte[] body = json.writeValueAsBytes(message);
            stdin.write(ByteBuffer.allocate(4).putInt(body.length).array());
            stdin.write(body);
            stdin.flush();
            byte[] report = reports.frames.poll(settings.batchDeadline().plusSeconds(30).toSeconds(), TimeUnit.SECONDS);
            if (report == null) {
                throw ApplicationFailure.newFailure("warm sandbox batch exceeded its deadline of "
                        + settings.batchDeadline().toSeconds() + " s", "SandboxDeadlineExceeded");
            }
            if (report == ENDED) {
                throw ApplicationFailure.newFailure("warm sandbox container ended"
                        + (reports.failure != null ? " (" + reports.failure + ")" : "") + ": " + reports.stderrTail(),
                        FailureTypes.SANDBOX_RUNNER_FAILED);
            }
            JsonNode node = REPORT.readTree(report);
            return new Outcome(DockerSandbox.parseReport(node, groups, token), node.path("clean").asBoolean(false));
        } catch (IOException | IllegalArgumentException e) {
            throw ApplicationFailure.newFailure("warm sandbox container returned unreadable output (" + e.getMessage()
                    + "); stderr: " + reports.stderrTail(), FailureTypes.SANDBOX_RUNNER_FAILED);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted while waiting for a warm sandbox container", FailureTypes.SANDBOX_INTERRUPTED);
        }
    }

    /** Removes the container and its batch volume. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeStreams();
        sandbox.removeContainer(id);
        sandbox.removeVolume(volume);
    }

    private void closeStreams() {
        try {
            if (stdin != null) stdin.close();
            reports.close();
        } catch (IOException ignored) {
            // the container goes anyway
        }
    }

    /** Splits the container's stdout into length-prefixed reports; keeps the tail of its stderr. */
    private static final class Reports extends ResultCallback.Adapter<Frame> {
        final BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        volatile boolean ended;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private final StderrTail stderr = new StderrTail();
        private final int cap;
        volatile String failure;

        Reports(int cap) {
            this.cap = cap;
        }

        @Override
        public void onNext(Frame frame) {
            byte[] bytes = frame.getPayload();
            if (frame.getStreamType() == StreamType.STDERR) {
                stderr.append(bytes);
                return;
            }
            synchronized (pending) {
                pending.write(bytes, 0, bytes.length);
                byte[] all = pending.toByteArray();
                int at = 0;
                while (all.length - at >= 4) {
                    int size = ByteBuffer.wrap(all, at, 4).getInt();
                    if (size < 0 || size > cap) {
                        failure = "a report of " + size + " bytes, more than " + cap;
                        frames.offer(ENDED);
                        return;
                    }
                    if (all.length - at - 4 < size) break;
                    byte[] report = new byte[size];
                    System.arraycopy(all, at + 4, report, 0, size);
                    frames.offer(report);
                    at += 4 + size;
                }
                pending.reset();
                pending.write(all, at, all.length - at);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            failure = throwable.toString();
            ended = true;
            frames.offer(ENDED);
            super.onError(throwable);
        }

        @Override
        public void onComplete() {
            ended = true;
            frames.offer(ENDED);
            super.onComplete();
        }

        String stderrTail() {
            return stderr.toString();
        }
    }
}
