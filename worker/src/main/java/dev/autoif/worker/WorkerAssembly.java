package dev.autoif.worker;

import dev.autoif.activities.dpo.DpoStoreActivitiesImpl;
import dev.autoif.activities.llm.AdaptiveConcurrencyLimiter;
import dev.autoif.activities.llm.CompletionCache;
import dev.autoif.activities.llm.DiskCompletionCache;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.activities.llm.FleetLimiter;
import dev.autoif.activities.llm.JdbcFleetLimiter;
import dev.autoif.activities.llm.JdbcCompletionCache;
import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.nli.NliModelException;
import dev.autoif.activities.nli.OnnxEntailmentJudge;
import dev.autoif.activities.nli.OnnxJudgeProvider;
import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.activities.sandbox.SandboxActivitiesImpl;
import dev.autoif.activities.sandbox.SandboxSettings;
import dev.autoif.activities.store.CampaignStoreActivitiesImpl;
import dev.autoif.activities.store.ExportActivitiesImpl;
import dev.autoif.activities.training.TrainingActivitiesImpl;
import dev.autoif.activities.telemetry.Telemetry;
import dev.autoif.worker.telemetry.Monitoring;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.TaskQueues;
import io.temporal.client.WorkflowClient;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the activities from the settings and starts a worker with them. */
public final class WorkerAssembly {
    private static final Logger log = LoggerFactory.getLogger(WorkerAssembly.class);

    private WorkerAssembly() {}

    public static LlmDefaults llmDefaults(AutoifSettings s) {
        return new LlmDefaults(s.llmBaseUrl(), s.llmApiKey(), s.llmModel(), s.llmRequestTimeout());
    }

    /** The verifier sandbox with the configured image and limits. */
    public static DockerSandbox sandbox(AutoifSettings s) {
        return sandbox(s, Telemetry.none());
    }

    /** The verifier sandbox, reporting its container runs to {@code telemetry}. */
    public static DockerSandbox sandbox(AutoifSettings s, Telemetry telemetry) {
        SandboxSettings limits = SandboxSettings.defaults(s.verifierImage());
        limits = new SandboxSettings(limits.image(), s.sandboxMemoryMb(), limits.cpus(), limits.pids(), limits.tmpfsMb(),
                limits.maxOutputBytes(), limits.batchDeadline());
        return new DockerSandbox(DockerClients.create(s.sandboxContainers()), limits, telemetry);
    }

    /** How concurrent sandbox calls share containers: autoif.sandbox.coalesce.* (window 0 or max-groups 1: never). */
    public static SandboxActivitiesImpl.Coalescing coalescing(AutoifSettings s) {
        return new SandboxActivitiesImpl.Coalescing(s.sandboxCoalesceWindow(), s.sandboxCoalesceMaxGroups(),
                s.sandboxCoalesceMaxCells(), s.sandboxContainers(), s.sandboxMixCampaigns());
    }

    /**
     * The ONNX NLI judge of campaigns with consistency "onnx", loaded on first use. A configured directory that lacks
     * a file stops the worker at startup rather than failing campaigns later.
     */
    public static OnnxJudgeProvider nliJudge(AutoifSettings s) {
        if (s.nliModelDir() == null) {
            log.info("NLI model: none (campaigns with consistency \"onnx\" need {})", OnnxJudgeProvider.ENV);
            return OnnxJudgeProvider.none();
        }
        try {
            OnnxEntailmentJudge.checkFiles(s.nliModelDir());
        } catch (NliModelException e) {
            throw new IllegalStateException(OnnxJudgeProvider.ENV + ": " + e.getMessage(), e);
        }
        log.info("NLI model: {} (loaded on first use)", s.nliModelDir());
        return new OnnxJudgeProvider(s.nliModelDir());
    }

    /** ONNX S5 judgements one worker runs at once (each judges an instruction's pairs in one batch, on the CPU). */
    static final int NLI_JUDGEMENTS = 2;

    /**
     * The LLM gateway: completion cache (PostgreSQL, with claims, when AUTOIF_CACHE_JDBC_URL is set; else on disk),
     * this worker's adaptive limiter, and the fleet-wide cap when AUTOIF_LLM_GLOBAL_CONCURRENCY is set.
     */
    public static LlmGateway gateway(AutoifSettings s, LlmDefaults llm, Telemetry telemetry) {
        return gateway(s, llm, telemetry, limiters(s));
    }

    /** This worker's adaptive limiter per endpoint: at most AUTOIF_LLM_CONCURRENCY requests in flight to each. */
    public static EndpointLimiters limiters(AutoifSettings s) {
        return new EndpointLimiters(AdaptiveConcurrencyLimiter.Settings.of(s.llmConcurrencyFloor(), s.llmConcurrency()));
    }

    /** The gateway with {@code limiters} (a caller that reports how busy they were, such as {@code run}). */
    public static LlmGateway gateway(AutoifSettings s, LlmDefaults llm, Telemetry telemetry, EndpointLimiters limiters) {
        if (s.llmGlobalConcurrency() > 0 && s.llmCacheJdbcUrl() == null) {
            throw new IllegalStateException("AUTOIF_LLM_GLOBAL_CONCURRENCY=" + s.llmGlobalConcurrency()
                    + " needs AUTOIF_CACHE_JDBC_URL: the fleet's request permits live in that PostgreSQL database");
        }
        CompletionCache cache = s.llmCacheJdbcUrl() != null ? new JdbcCompletionCache(s.llmCacheJdbcUrl(), s.llmLease())
                : new DiskCompletionCache(s.dataDir().resolve("llm-cache"));
        log.info("LLM completion cache: {}", cache.description());
        FleetLimiter fleet = s.llmGlobalConcurrency() > 0
                ? new JdbcFleetLimiter(s.llmCacheJdbcUrl(), s.llmGlobalConcurrency(), s.llmLease()) : FleetLimiter.none();
        log.info("LLM fleet-wide cap: {}", fleet.description());
        return new LlmGateway(new OpenAiChatClient(llm.requestTimeout()), cache, limiters, fleet, telemetry);
    }

    public static WorkerRuntime start(WorkflowClient client, AutoifSettings s, LlmDefaults llm) {
        return start(client, s, llm, sandbox(s));
    }

    /** A worker that reports metrics and spans to {@code monitoring}. */
    public static WorkerRuntime start(WorkflowClient client, AutoifSettings s, LlmDefaults llm, Monitoring monitoring) {
        return start(client, s, llm, sandbox(s, monitoring.telemetry()), monitoring);
    }

    /** A worker whose sandbox activities use {@code sandbox} (tests read its container count). */
    public static WorkerRuntime start(WorkflowClient client, AutoifSettings s, LlmDefaults llm, DockerSandbox sandbox) {
        return start(client, s, llm, sandbox, Monitoring.none());
    }

    /**
     * The worker of {@code autoif worker} and {@code run}: campaigns live in the configured store, and LLM calls go
     * through {@code limiters} (the caller may read how many requests were in flight).
     */
    public static WorkerRuntime start(WorkflowClient client, AutoifSettings s, StoreSettings store, LlmDefaults llm,
                                      Monitoring monitoring, EndpointLimiters limiters) {
        return start(client, s, llm, sandbox(s, monitoring.telemetry()), monitoring, store, limiters);
    }

    /** Campaigns in the data directory. */
    public static WorkerRuntime start(WorkflowClient client, AutoifSettings s, LlmDefaults llm, DockerSandbox sandbox,
                                      Monitoring monitoring) {
        return start(client, s, llm, sandbox, monitoring, StoreSettings.local(s.dataDir()), limiters(s));
    }

    private static WorkerRuntime start(WorkflowClient client, AutoifSettings s, LlmDefaults llm, DockerSandbox sandbox,
                                       Monitoring monitoring, StoreSettings store, EndpointLimiters limiters) {
        Set<String> queues = WorkerRuntime.queues(s.taskQueues());
        LlmGateway gateway = gateway(s, llm, monitoring.telemetry(), limiters);
        if (queues.contains(TaskQueues.SANDBOX)) {
            try {
                sandbox.sweepOrphans();
            } catch (RuntimeException e) {
                log.warn("could not sweep orphaned verifier containers: {}", e.getMessage());
            }
        }
        SandboxActivitiesImpl.Coalescing coalescing = coalescing(s);
        WorkerRuntime runtime = new WorkerRuntime(client, monitoring.tracing().workerInterceptor(),
                // More sandbox activities than containers may run at once: the extra ones wait to
                // share a container (see SandboxActivitiesImpl), which bounds the containers.
                new WorkerRuntime.Concurrency(s.llmConcurrency(), coalescing.activitySlots(), 16, NLI_JUDGEMENTS), queues,
                new LlmActivitiesImpl(gateway, llm, nliJudge(s), store.stores()),
                new SandboxActivitiesImpl(sandbox, coalescing, monitoring.telemetry(), store.stores()),
                new CampaignStoreActivitiesImpl(store.stores(), store.location()),
                new ExportActivitiesImpl(store.stores()));
        runtime.registerOnlineDpo(new DpoStoreActivitiesImpl(store.stores()), new TrainingActivitiesImpl(), 1);
        runtime.start();
        return runtime;
    }
}
