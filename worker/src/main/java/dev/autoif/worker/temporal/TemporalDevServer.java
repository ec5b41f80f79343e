package dev.autoif.worker.temporal;

import dev.autoif.workflows.SearchAttributes;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code temporal server start-dev} process persisting to a SQLite file, with the product's search attributes
 * registered. It can be killed and started again on the same port and file (durability tests do exactly that);
 * whatever was committed before the kill is there after the restart.
 */
public final class TemporalDevServer implements AutoCloseable {
    private final List<String> command;
    private final Path db;
    private final Path logFile;
    private final int port;
    private volatile Process process;

    private TemporalDevServer(List<String> command, Path db, Path logFile, int port) {
        this.command = command;
        this.db = db;
        this.logFile = logFile;
        this.port = port;
    }

    /**
     * Starts the dev server and waits until it answers.
     *
     * @param cli     the {@code temporal} executable (see {@link #findCli()})
     * @param db      the SQLite file: state survives the process
     * @param port    the frontend gRPC port, bound on 127.0.0.1
     * @param uiPort  the Web UI port, or null for no UI ({@code --headless})
     * @param logFile where the server's output goes (appended, so restarts keep the earlier log)
     * @return the running server, with connected stubs the caller owns
     */
    public static Started start(String cli, Path db, int port, Integer uiPort, Path logFile)
            throws IOException, InterruptedException {
        Files.createDirectories(db.toAbsolutePath().getParent());
        List<String> command = new ArrayList<>(List.of(cli, "server", "start-dev", "--db-filename",
                db.toAbsolutePath().toString(), "--ip", "127.0.0.1", "--port", Integer.toString(port), "--log-level", "warn"));
        if (uiPort == null) {
            command.add("--headless");
        } else {
            command.add("--ui-port");
            command.add(Integer.toString(uiPort));
        }
        for (var key : SearchAttributes.ALL) {
            command.add("--search-attribute");
            command.add(key.getName() + "=Keyword");
        }
        TemporalDevServer server = new TemporalDevServer(List.copyOf(command), db.toAbsolutePath(), logFile, port);
        return new Started(server, server.launch());
    }

    /** A started server and stubs connected to it. */
    public record Started(TemporalDevServer server, WorkflowServiceStubs stubs) {}

    /** host:port of the frontend. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public Path db() {
        return db;
    }

    public Path logFile() {
        return logFile;
    }

    /** The current server process (a new one after each {@link #restart()}). */
    public Process process() {
        return process;
    }

    /** SIGKILL: no shutdown, no flush beyond what SQLite already committed. Waits until the process is gone. */
    public void kill() throws InterruptedException {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Starts the server again with the same port, file and attributes, and waits until it answers. */
    public void restart() throws IOException, InterruptedException {
        Process p = process;
        if (p != null && p.isAlive()) {
            throw new IllegalStateException("the dev server is still running; kill() or close() it first");
        }
        WorkflowServiceStubs stubs = launch();
        stubs.shutdown();
        stubs.awaitTermination(5, TimeUnit.SECONDS);
    }

    private WorkflowServiceStubs launch() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        process = p;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("temporal dev server exited with " + p.exitValue() + "; see " + logFile);
            }
            try {
                return WorkflowServiceStubs.newConnectedServiceStubs(
                        WorkflowServiceStubsOptions.newBuilder().setTarget(address()).build(), Duration.ofSeconds(5));
            } catch (RuntimeException notYet) {
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IOException("temporal dev server did not answer on " + address() + " within 60 s; see " + logFile);
                }
                Thread.sleep(500);
            }
        }
    }

    /** SIGTERM, then SIGKILL if it has not stopped within 15 s. */
    @Override
    public void close() throws InterruptedException {
        Process p = process;
        if (p == null) return;
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(15, TimeUnit.SECONDS);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The {@code temporal} CLI on PATH, or null. */
    public static String findCli() {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, "temporal");
            if (f.isFile() && f.canExecute()) return f.getAbsolutePath();
        }
        return null;
    }
}
