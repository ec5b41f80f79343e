package dev.autoif.worker.cli;

import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.StoreSettings;
import dev.autoif.worker.telemetry.Monitoring;
import dev.autoif.worker.WorkerAssembly;
import dev.autoif.activities.llm.AdaptiveConcurrencyLimiter;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.preflight.Preflight;
import dev.autoif.worker.temporal.EmbeddedTemporal;
import dev.autoif.worker.temporal.SearchAttributeRegistrar;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.CampaignWorkflow;
import dev.autoif.workflows.campaign.Funnel;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a campaign to the end on this machine and print its funnel. With no Temporal address it "
                + "starts Temporal itself; with no LLM endpoint it starts the scripted LLM (and says so).")
public class RunCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "CAMPAIGN_JSON",
            description = "Campaign file (default: the bundled demo, examples/demo-campaign.json).")
    Path campaignFile;

    @Option(names = "--campaign-id", description = "Workflow ID of the campaign (default: derived from the file's content).")
    String campaignId;

    @Option(names = "--temporal-address", description = "host:port of a Temporal server (default: TEMPORAL_ADDRESS, else embedded).")
    String temporalAddress;

    @Option(names = "--scripted-latency-ms", defaultValue = "0",
            description = "When run starts the scripted LLM: it answers each request after this many ms, as a model "
                    + "would (default ${DEFAULT-VALUE}).")
    long scriptedLatencyMs;

    @Inject
    AutoifSettings settings;

    @Inject
    StoreSettings store;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        String json = campaignFile == null ? CampaignFiles.demoCampaign() : Files.readString(campaignFile, StandardCharsets.UTF_8);
        CampaignInput input;
        try {
            input = CampaignFiles.parse(json, campaignFile == null ? "demo campaign" : campaignFile.toString());
        } catch (IllegalArgumentException e) {
            System.err.println("invalid campaign: " + e.getMessage());
            return 2;
        }
        String id = campaignId != null ? campaignId : CampaignFiles.defaultCampaignId(json);
        String source = campaignFile == null ? "demo campaign" : campaignFile.toString();
        String resolved = CampaignFiles.resolvePaths(json, campaignFile == null, settings.dataDir());
        Preflight.Check problem = preflight(CampaignFiles.parse(resolved, source));
        if (problem != null) {
            System.err.println("autoif: " + problem.line());
            return 3;
        }
        try {
            input = CampaignFiles.parse(CampaignInputs.forWorkers(resolved, store, out), source);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            System.err.println("autoif: " + e.getMessage());
            return 3;
        }
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            WorkflowClient client = temporal(resources);
            LlmDefaults llm = llmDefaults(input, resources);
            EndpointLimiters limiters = WorkerAssembly.limiters(settings);
            WorkerRuntime worker = WorkerAssembly.start(client, settings, store, llm, Monitoring.none(), limiters);
            resources.add(worker);
            long startedNanos = System.nanoTime();
            CampaignResult result = runCampaign(client, id, input);
            printSummary(result);
            printRequestsInFlight(limiters, startedNanos);
            return 0;
        } catch (WorkflowFailedException e) {
            System.err.println("campaign " + id + " failed: " + rootCause(e));
            return 1;
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                resources.get(i).close();
            }
        }
    }

    /**
     * Checks, within seconds, what the campaign needs and {@code run} cannot start itself: the store, the Docker engine
     * and the verifier image, a given Temporal server, and the LLM endpoints the worker or the campaign names. Returns
     * the first failure, or null after printing the warnings.
     */
    private Preflight.Check preflight(CampaignInput input) {
        List<Preflight.Check> checks = new ArrayList<>();
        String address = temporalAddress != null ? temporalAddress : settings.temporalAddress();
        checks.add(Preflight.store(store));
        checks.add(Preflight.completionCache(settings.llmCacheJdbcUrl()));
        checks.add(Preflight.sharedByEveryWorker(store, settings.llmCacheJdbcUrl(), address));
        checks.addAll(Preflight.sandbox(settings.verifierImage()));
        if (address != null) {
            checks.add(Preflight.temporal(address, settings.temporalNamespace()));
        }
        if (settings.llmBaseUrl() != null) {
            checks.add(Preflight.llm("LLM endpoint", settings.llmBaseUrl(), settings.llmApiKey(), settings.llmModel()));
        }
        checkRole(checks, LlmRole.SUPERVISION, input.supervision());
        checkRole(checks, LlmRole.JUDGE, input.judge());
        checkRole(checks, LlmRole.POLICY, input.policy());
        Preflight.Check failure = Preflight.firstFailure(checks);
        if (failure == null) {
            checks.stream().filter(c -> c.status() == Preflight.Status.WARN).forEach(c -> System.err.println("autoif: warning: " + c.line()));
        }
        return failure;
    }

    /** A role that names its own endpoint: that endpoint, with the key from its apiKeyEnv. */
    private void checkRole(List<Preflight.Check> checks, LlmRole role, dev.autoif.workflows.activities.llm.LlmSettings llm) {
        if (llm != null && llm.baseUrl() != null) {
            checks.add(Preflight.llm("LLM endpoint (" + role.wireName() + ")", llm.baseUrl(),
                    llm.apiKeyEnv() != null ? System.getenv(llm.apiKeyEnv()) : settings.llmApiKey(), llm.model()));
        }
    }

    /** The innermost failure's own message: what the user must fix, without the workflow chain around it. */
    static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root instanceof ApplicationFailure af ? af.getOriginalMessage() + " [" + af.getType() + "]" : root.getMessage();
    }

    private WorkflowClient temporal(List<AutoCloseable> resources) throws Exception {
        String address = temporalAddress != null ? temporalAddress : settings.temporalAddress();
        if (address != null) {
            TemporalConnection connection = TemporalConnection.connect(address, settings.temporalNamespace(), null);
            resources.add(connection);
            SearchAttributeRegistrar.ensureRegistered(connection.service(), settings.temporalNamespace());
            out.println("Temporal: " + address + " (namespace " + settings.temporalNamespace() + ")");
            return connection.client();
        }
        EmbeddedTemporal embedded = EmbeddedTemporal.start(settings.dataDir());
        resources.add(embedded);
        out.println("Temporal: " + embedded.description());
        return embedded.client();
    }

    private LlmDefaults llmDefaults(CampaignInput input, List<AutoCloseable> resources) throws Exception {
        LlmDefaults configured = WorkerAssembly.llmDefaults(settings);
        boolean campaignNamesEndpoint = input.supervision() != null && input.supervision().baseUrl() != null;
        if (configured.baseUrl() != null || campaignNamesEndpoint) {
            out.println("LLM endpoint: " + (campaignNamesEndpoint ? input.supervision().baseUrl() : configured.baseUrl()));
            return configured;
        }
        ScriptedLlmServer scripted = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(),
                Faults.none().withLatency(Duration.ofMillis(scriptedLatencyMs)));
        resources.add(scripted);
        out.println();
        out.println("################################################################################");
        out.println("#  NO LLM ENDPOINT CONFIGURED: using the SCRIPTED LLM at " + scripted.baseUrl());
        out.println("#  Its answers are canned fixtures, not a model. For real data set");
        out.println("#  OPENAI_BASE_URL (and OPENAI_API_KEY, OPENAI_MODEL) and run again.");
        out.println("################################################################################");
        out.println();
        return new LlmDefaults(scripted.baseUrl(), null, ScriptedLlmServer.MODEL, configured.requestTimeout());
    }

    /** Starts the campaign workflow; false when one with this ID already runs or finished (it is not re-run). */
    static boolean start(WorkflowClient client, String id, CampaignInput input) {
        CampaignWorkflow campaign = client.newWorkflowStub(CampaignWorkflow.class, WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(TaskQueues.WORKFLOWS)
                // A finished campaign is not re-run: its result is read back instead.
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY)
                .build());
        try {
            WorkflowClient.start(campaign::run, input, null);
            return true;
        } catch (WorkflowExecutionAlreadyStarted e) {
            return false;
        }
    }

    private CampaignResult runCampaign(WorkflowClient client, String id, CampaignInput input) throws Exception {
        out.println(start(client, id, input) ? "Started campaign " + id : "Campaign " + id + " already exists: following it");
        WorkflowStub stub = client.newUntypedWorkflowStub(id);
        CompletableFuture<CampaignResult> result = stub.getResultAsync(CampaignResult.class);
        ProgressLine progress = new ProgressLine(out, ProgressLine.stdoutIsTerminal(), System.nanoTime());
        try {
            while (true) {
                try {
                    return result.get(2, TimeUnit.SECONDS);
                } catch (TimeoutException stillRunning) {
                    try {
                        progress.update(stub.query("funnel", Funnel.class), System.nanoTime());
                    } catch (RuntimeException queryFailed) {
                        // between runs (continue-as-new) a query can miss; the next tick will answer
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception cause) {
                        throw cause;
                    }
                    throw e;
                }
            }
        } finally {
            progress.finish();
        }
    }

    /**
     * How busy this worker kept each LLM endpoint while the campaign ran: the requests in flight on average against
     * the cap (AUTOIF_LLM_CONCURRENCY), over the whole run and over the time any request was in flight (the rest is
     * S3 in the sandbox, the store, Temporal).
     */
    private void printRequestsInFlight(EndpointLimiters limiters, long startedNanos) {
        limiters.all().forEach((endpoint, limiter) -> {
            AdaptiveConcurrencyLimiter.InFlightTotals end = limiter.inFlightTotals();
            // A limiter is created by the campaign's first request, so nothing was in flight before it existed.
            AdaptiveConcurrencyLimiter.InFlightTotals start =
                    new AdaptiveConcurrencyLimiter.InFlightTotals(Math.min(startedNanos, end.atNanos()), 0, 0);
            out.printf("  LLM requests in flight (%s): %.1f on average of a cap of %d; %.1f while any was in flight%n",
                    endpoint, end.averageSince(start), limiter.ceiling(), end.averageWhileBusySince(start));
        });
    }

    private void printSummary(CampaignResult r) {
        Funnel f = r.funnel();
        out.println();
        out.println("Campaign " + r.campaignId() + " finished (preset " + r.preset() + ")");
        out.println("  instructions: " + f.instructions() + "   kept: " + f.kept() + "   dropped: " + f.dropped());
        for (Map.Entry<String, Integer> e : f.droppedByReason().entrySet()) {
            out.println("    dropped " + e.getKey() + ": " + e.getValue());
        }
        if (r.queryPool() != null) {
            var q = r.queryPool();
            out.println("  queries: " + q.queries() + " usable of " + q.records() + " records (" + q.malformed()
                    + " malformed, " + q.noUserTurn() + " without a user turn, " + q.tooShort() + " too short, "
                    + q.tooLong() + " too long, " + q.duplicates() + " duplicates)");
            q.errors().forEach(e -> out.println("    " + e));
            var s = f.responses();
            out.println("  prompts: " + s.prompts() + "   responses: " + s.responses() + "   SFT rows: " + s.sftRows()
                    + "   DPO pairs: " + s.dpoPairs());
            for (Map.Entry<String, Long> e : s.droppedByReason().entrySet()) {
                out.println("    response dropped " + e.getKey() + ": " + e.getValue());
            }
        }
        if (f.stopReason() != null) {
            out.println("  stopped: " + f.stopReason());
        }
        out.println("  output: " + r.outputDir());
        for (String file : r.files()) {
            out.println("    " + file);
        }
    }
}
