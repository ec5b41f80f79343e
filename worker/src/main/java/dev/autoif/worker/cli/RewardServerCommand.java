package dev.autoif.worker.cli;

import dev.autoif.activities.rlvr.RewardScorer;
import dev.autoif.activities.rlvr.RewardServer;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.activities.sandbox.SandboxSettings;
import dev.autoif.activities.sandbox.WarmSandboxPool;
import java.io.UncheckedIOException;
import java.time.Duration;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.StoreSettings;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code autoif reward-server --verifiers DIR --port N}: the sandboxed reward service of {@link RewardServer}. */
@Command(name = "reward-server", mixinStandardHelpOptions = true,
        description = "Serve rewards from a campaign's verifiers, run in the Docker sandbox, to RL trainers (TRL, verl, OpenRLHF).")
public class RewardServerCommand implements Callable<Integer> {
    @Option(names = "--verifiers", required = true, description = "A campaign (verifiers.jsonl) or an RLVR export (its "
            + "sidecar verifiers.jsonl): a directory or a store URI such as s3://bucket/prefix/campaigns/ID (AUTOIF_S3_*).")
    String verifiers;

    @Option(names = "--port", defaultValue = "8090", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--timeout", defaultValue = "2", description = "Seconds per verifier call before it scores false (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--concurrency", defaultValue = "2", description = "Warm sandbox containers, each scoring one request at a time (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--queue", defaultValue = "8", description = "Requests waiting for a container before 429 (default ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--recycle-after", defaultValue = "100", description = "Batches a warm container runs before it is replaced (default ${DEFAULT-VALUE}; "
            + "also replaced after 30 min, on any failure, on any sign of tampering).")
    int recycleAfter;

    @Inject
    AutoifSettings settings;

    @Inject
    StoreSettings store;

    @Override
    public Integer call() throws Exception {
        Map<String, String> code;
        try {
            code = RewardScorer.loadVerifiers(store.stores().open(verifiers));
        } catch (IllegalArgumentException | UncheckedIOException e) {
            System.err.println("autoif reward-server: " + e.getMessage());
            return 1;
        }
        DockerSandbox sandbox = new DockerSandbox(DockerClients.create(concurrency + 1),
                SandboxSettings.defaults(settings.verifierImage()));
        try {
            sandbox.requireImage();
        } catch (RuntimeException e) {
            System.err.println("autoif reward-server: " + e.getMessage());
            return 1;
        }
        WarmSandboxPool pool = new WarmSandboxPool(sandbox, "reward", concurrency, recycleAfter, Duration.ofMinutes(30));
        RewardServer server = new RewardServer(new RewardScorer(pool, code, timeoutSeconds), host, port, concurrency, queue);
        System.out.println("reward service: " + code.size() + " verifiers from " + verifiers + " at http://" + host + ":"
                + server.port() + " (POST /v1/score, POST /reward, GET /health, GET /metrics)");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
