package dev.autoif.worker.cli;

import com.uber.m3.tally.Scope;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.StoreSettings;
import dev.autoif.worker.WorkerAssembly;
import dev.autoif.worker.preflight.Preflight;
import dev.autoif.worker.telemetry.Monitoring;
import dev.autoif.worker.temporal.NamespaceRetention;
import dev.autoif.worker.temporal.SearchAttributeRegistrar;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.WorkerRuntime;
import io.micronaut.runtime.server.EmbeddedServer;
import jakarta.inject.Inject;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Run a long-lived worker against a Temporal server: polls the task queues AUTOIF_TASK_QUEUES names "
                + "(default all: workflows, llm, sandbox, nli, training), serves /health and /prometheus over HTTP, and shuts down gracefully on SIGTERM.")
public class WorkerCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(WorkerCommand.class);

    @Option(names = "--temporal-address", description = "host:port (default: TEMPORAL_ADDRESS, else localhost:7233).")
    String temporalAddress;

    @Inject
    AutoifSettings settings;

    @Inject
    StoreSettings store;

    @Inject
    EmbeddedServer httpServer;

    @Inject
    Scope metricsScope;

    @Inject
    Monitoring monitoring;

    @Override
    public Integer call() throws Exception {
        String address = temporalAddress != null ? temporalAddress
                : settings.temporalAddress() != null ? settings.temporalAddress() : "localhost:7233";
        // A mis-deployment (state only this host sees) is known without asking any server: refused at once.
        Preflight.Check deployment = Preflight.sharedByEveryWorker(store, settings.llmCacheJdbcUrl(), address);
        if (deployment.failed()) {
            System.err.println("autoif: " + deployment.line());
            return 3;
        }
        // Fail in seconds, naming what is missing, rather than retrying activities against it for hours.
        var checks = Preflight.all(settings, store, address);
        Preflight.Check problem = Preflight.firstFailure(checks);
        if (problem != null) {
            System.err.println("autoif: " + problem.line());
            return 3;
        }
        checks.stream().filter(c -> c.status() == Preflight.Status.WARN).forEach(c -> System.err.println("autoif: warning: " + c.line()));
        TemporalConnection connection = TemporalConnection.connect(address, settings.temporalNamespace(), metricsScope);
        SearchAttributeRegistrar.ensureRegistered(connection.service(), settings.temporalNamespace());
        String retention = NamespaceRetention.warning(connection.service(), settings.temporalNamespace(),
                settings.temporalMinRetention());
        if (retention != null) {
            log.warn(retention);
        }
        WorkerRuntime worker;
        try {
            worker = WorkerAssembly.start(connection.client(), settings, store, WorkerAssembly.llmDefaults(settings), monitoring,
                    WorkerAssembly.limiters(settings));
        } catch (IllegalArgumentException | IllegalStateException misconfigured) {
            System.err.println("autoif worker: " + misconfigured.getMessage());
            connection.close();
            return 2;
        }
        httpServer.start();
        System.out.println("autoif worker connected to " + address + "; health and metrics on " + httpServer.getURL());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            connection.close();
            httpServer.stop();
            stopped.countDown();
        }, "autoif-shutdown"));
        stopped.await();
        return 0;
    }
}
