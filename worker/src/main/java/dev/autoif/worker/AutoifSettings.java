package dev.autoif.worker;

import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The worker's configuration as the code reads it, bound from {@link AutoifProperties} (application.yml and
 * environment variables, see README). Command-line flags override it.
 */
@Singleton
public final class AutoifSettings {
    private final String temporalAddress;
    private final String temporalNamespace;
    private final Duration temporalMinRetention;
    private final String llmBaseUrl;
    private final String llmApiKey;
    private final String llmModel;
    private final Duration llmRequestTimeout;
    private final int llmConcurrency;
    private final String verifierImage;
    private final int sandboxContainers;
    private final int sandboxMemoryMb;
    private final Path dataDir;
    private final String llmCacheJdbcUrl;
    private final int llmConcurrencyFloor;
    private final Duration sandboxCoalesceWindow;
    private final int sandboxCoalesceMaxGroups;
    private final long sandboxCoalesceMaxCells;
    private final boolean sandboxMixCampaigns;
    private final Path nliModelDir;
    private final int llmGlobalConcurrency;
    private final Duration llmLease;
    private final String taskQueues;

    private static final AutoifProperties ROOT_DEFAULTS = new AutoifProperties();
    private static final AutoifProperties.Temporal TEMPORAL_DEFAULTS = new AutoifProperties.Temporal();
    private static final AutoifProperties.Llm LLM_DEFAULTS = new AutoifProperties.Llm();
    private static final AutoifProperties.Sandbox.Coalesce COALESCE_DEFAULTS = new AutoifProperties.Sandbox.Coalesce();

    /** Settings without a shared completion cache and otherwise the defaults (tests, embedded runs). */
    public AutoifSettings(String temporalAddress, String temporalNamespace, String llmBaseUrl, String llmApiKey,
                          String llmModel, int llmRequestTimeoutSeconds, int llmConcurrency, String verifierImage,
                          int sandboxContainers, int sandboxMemoryMb, String dataDir) {
        this(temporalAddress, temporalNamespace, TEMPORAL_DEFAULTS.minRetention, llmBaseUrl, llmApiKey, llmModel,
                llmRequestTimeoutSeconds, llmConcurrency, verifierImage, sandboxContainers, sandboxMemoryMb, dataDir, "",
                LLM_DEFAULTS.concurrencyFloor,
                COALESCE_DEFAULTS.windowMs, COALESCE_DEFAULTS.maxGroups, COALESCE_DEFAULTS.maxCells,
                new AutoifProperties.Nli().modelDir, COALESCE_DEFAULTS.mixCampaigns, LLM_DEFAULTS.globalConcurrency,
                LLM_DEFAULTS.leaseSeconds, ROOT_DEFAULTS.taskQueues);
    }

    /** From the configuration (application.yml, environment variables). */
    @jakarta.inject.Inject
    public AutoifSettings(AutoifProperties root, AutoifProperties.Temporal temporal, AutoifProperties.Llm llm,
                          AutoifProperties.Llm.Cache cache, AutoifProperties.Nli nli, AutoifProperties.Sandbox sandbox,
                          AutoifProperties.Sandbox.Coalesce coalesce) {
        this(temporal.address, orDefault(temporal.namespace, AutoifProperties.Temporal.DEFAULT_NAMESPACE),
                temporal.minRetention, llm.baseUrl,
                llm.apiKey, llm.model, llm.requestTimeoutSeconds, llm.concurrency,
                orDefault(sandbox.image, AutoifProperties.Sandbox.DEFAULT_IMAGE), sandbox.containers, sandbox.memoryMb,
                root.dataDir, cache.jdbcUrl, llm.concurrencyFloor, coalesce.windowMs, coalesce.maxGroups, coalesce.maxCells,
                nli.modelDir, coalesce.mixCampaigns, llm.globalConcurrency, llm.leaseSeconds, root.taskQueues);
    }

    private AutoifSettings(String temporalAddress, String temporalNamespace, Duration temporalMinRetention, String llmBaseUrl, String llmApiKey,
                           String llmModel, int llmRequestTimeoutSeconds, int llmConcurrency, String verifierImage,
                           int sandboxContainers, int sandboxMemoryMb, String dataDir, String llmCacheJdbcUrl,
                           int llmConcurrencyFloor, int sandboxCoalesceWindowMs, int sandboxCoalesceMaxGroups,
                           long sandboxCoalesceMaxCells, String nliModelDir, boolean sandboxMixCampaigns,
                           int llmGlobalConcurrency, int llmLeaseSeconds, String taskQueues) {
        this.sandboxMixCampaigns = sandboxMixCampaigns;
        this.llmGlobalConcurrency = Math.max(0, llmGlobalConcurrency);
        this.llmLease = Duration.ofSeconds(Math.max(1, llmLeaseSeconds));
        this.taskQueues = taskQueues == null ? "" : taskQueues.strip();
        this.sandboxCoalesceWindow = Duration.ofMillis(Math.max(0, sandboxCoalesceWindowMs));
        this.sandboxCoalesceMaxGroups = Math.max(1, sandboxCoalesceMaxGroups);
        this.sandboxCoalesceMaxCells = Math.max(1, sandboxCoalesceMaxCells);
        this.llmCacheJdbcUrl = blankToNull(llmCacheJdbcUrl);
        this.llmConcurrencyFloor = Math.max(1, Math.min(llmConcurrencyFloor, Math.max(1, llmConcurrency)));
        this.temporalAddress = blankToNull(temporalAddress);
        this.temporalNamespace = temporalNamespace;
        this.temporalMinRetention = temporalMinRetention;
        this.llmBaseUrl = blankToNull(llmBaseUrl);
        this.llmApiKey = blankToNull(llmApiKey);
        this.llmModel = blankToNull(llmModel);
        this.llmRequestTimeout = Duration.ofSeconds(llmRequestTimeoutSeconds);
        this.llmConcurrency = llmConcurrency;
        this.verifierImage = verifierImage;
        this.sandboxContainers = sandboxContainers;
        this.sandboxMemoryMb = sandboxMemoryMb;
        this.dataDir = Path.of(dataDir);
        this.nliModelDir = blankToNull(nliModelDir) == null ? null : Path.of(nliModelDir.strip());
    }

    /** These settings with the ONNX NLI model of campaigns with consistency "onnx" (tests, embedded runs). */
    public AutoifSettings withNliModelDir(Path dir) {
        return new AutoifSettings(temporalAddress, temporalNamespace, temporalMinRetention, llmBaseUrl, llmApiKey, llmModel,
                (int) llmRequestTimeout.toSeconds(), llmConcurrency, verifierImage, sandboxContainers, sandboxMemoryMb,
                dataDir.toString(), llmCacheJdbcUrl == null ? "" : llmCacheJdbcUrl, llmConcurrencyFloor,
                (int) sandboxCoalesceWindow.toMillis(), sandboxCoalesceMaxGroups, sandboxCoalesceMaxCells,
                dir == null ? "" : dir.toString(), sandboxMixCampaigns, llmGlobalConcurrency, (int) llmLease.toSeconds(), taskQueues);
    }

    /**
     * These settings for one worker of a fleet (tests): the shared database, the fleet-wide cap (0: none) and the task
     * queues it polls (comma-separated; blank: all).
     */
    public AutoifSettings forFleet(String jdbcUrl, int globalConcurrency, int leaseSeconds, String queues) {
        return new AutoifSettings(temporalAddress, temporalNamespace, temporalMinRetention, llmBaseUrl, llmApiKey, llmModel,
                (int) llmRequestTimeout.toSeconds(), llmConcurrency, verifierImage, sandboxContainers, sandboxMemoryMb,
                dataDir.toString(), jdbcUrl == null ? "" : jdbcUrl, llmConcurrencyFloor,
                (int) sandboxCoalesceWindow.toMillis(), sandboxCoalesceMaxGroups, sandboxCoalesceMaxCells,
                nliModelDir == null ? "" : nliModelDir.toString(), sandboxMixCampaigns, globalConcurrency, leaseSeconds, queues);
    }

    private static String orDefault(String s, String dflt) {
        return s == null || s.isBlank() ? dflt : s;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    public String temporalAddress() { return temporalAddress; }
    /** A namespace keeping closed workflows for less than this draws a warning when a worker starts. */
    public Duration temporalMinRetention() { return temporalMinRetention; }
    public String temporalNamespace() { return temporalNamespace; }
    public String llmBaseUrl() { return llmBaseUrl; }
    public String llmApiKey() { return llmApiKey; }
    public String llmModel() { return llmModel; }
    public Duration llmRequestTimeout() { return llmRequestTimeout; }
    public int llmConcurrency() { return llmConcurrency; }
    public String verifierImage() { return verifierImage; }
    public int sandboxContainers() { return sandboxContainers; }
    public int sandboxMemoryMb() { return sandboxMemoryMb; }
    public Path dataDir() { return dataDir; }
    /** JDBC URL of the shared completion cache (PostgreSQL); null: the disk cache under the data dir. */
    public String llmCacheJdbcUrl() { return llmCacheJdbcUrl; }
    /** The adaptive limiter never goes below this many requests in flight per endpoint (its ceiling is llmConcurrency). */
    public int llmConcurrencyFloor() { return llmConcurrencyFloor; }
    /** How long a sandbox call waits for concurrent calls to share its container (0: never). */
    public Duration sandboxCoalesceWindow() { return sandboxCoalesceWindow; }
    /** Instructions' batches per shared container at most (1: never share). */
    public int sandboxCoalesceMaxGroups() { return sandboxCoalesceMaxGroups; }
    /** Whether batches of different campaigns may share a sandbox container (off: each container holds one campaign). */
    public boolean sandboxMixCampaigns() { return sandboxMixCampaigns; }
    /** Function x input cells per shared container at most. */
    public long sandboxCoalesceMaxCells() { return sandboxCoalesceMaxCells; }
    /**
     * The ONNX NLI model directory (model.onnx + tokenizer.json + config.json) for campaigns with consistency "onnx";
     * null: none, and such campaigns fail naming AUTOIF_NLI_MODEL_DIR.
     */
    public Path nliModelDir() { return nliModelDir; }
    /** LLM requests in flight per endpoint across every worker sharing {@link #llmCacheJdbcUrl()}; 0: no such cap. */
    public int llmGlobalConcurrency() { return llmGlobalConcurrency; }
    /** How long a completion claim or a request permit lasts unless renewed (a dead worker's come back after it). */
    public Duration llmLease() { return llmLease; }
    /** The task queues this process polls, comma-separated (see WorkerRuntime); blank: all of them. */
    public String taskQueues() { return taskQueues; }
}
