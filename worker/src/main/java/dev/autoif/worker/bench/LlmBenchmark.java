package dev.autoif.worker.bench;

import dev.autoif.activities.llm.AdaptiveConcurrencyLimiter;
import dev.autoif.activities.llm.ChatCall;
import dev.autoif.activities.llm.DiskCompletionCache;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.llm.VerifierPrompt;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.workflows.activities.ActivityStubs;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.llm.ResponseBatch;
import dev.autoif.workflows.activities.llm.ResponseBatchRequest;
import dev.autoif.workflows.activities.llm.ResponseRequest;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.activities.llm.LlmSettings;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * LLM throughput through the whole Temporal path — workflow, LLM activity on its task queue,
 * gateway (cache, adaptive limiter), real HTTP — against the scripted server answering every
 * request after a fixed latency L. With C requests allowed in flight the ideal is C/L requests/s.
 * In the same run the same requests go straight from the gateway's HTTP client with C in flight
 * (no Temporal, no cache): the physical limit of this machine for that load. The ratio is the
 * achieved rate over the lower of the two, so a slow machine does not pass for a slow path.
 * The workflow keeps at most {@code window} activities pending, as a campaign does, well under
 * Temporal's 2,000 pending activities per run (the in-process test server has no such limit).
 *
 * <p>Shapes a campaign has: one prompt per activity ({@code --prompts-per-activity 1}, S2's verifiers of one
 * instruction), or a batch of prompts per activity (S6: an instruction's queries, the default); K samples per prompt
 * from a server that honours {@code n} (one request) or, with {@code --ignore-n}, from one that ignores it
 * (llama.cpp, transformers serve: K requests). Requests are HTTP requests in every shape.
 */
@Command(name = "llm", mixinStandardHelpOptions = true,
        description = "Requests/s through Temporal + gateway vs min(ideal C/L, direct HTTP baseline); last line ratio=.")
public class LlmBenchmark implements Callable<Integer> {
    @Option(names = "--latency-ms", defaultValue = "200", description = "Scripted server latency L (default ${DEFAULT-VALUE}).")
    long latencyMs;

    @Option(names = "--concurrency", defaultValue = "16", description = "Gateway concurrency C (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--requests", defaultValue = "0", description = "Measured HTTP requests (default 25 x C).")
    int requests;

    @Option(names = "--samples", defaultValue = "1",
            description = "Samples K per prompt (the OpenAI n; a campaign's S2 asks 8, S6 asks K) (default ${DEFAULT-VALUE}).")
    int samplesPerRequest;

    @Option(names = "--prompts-per-activity", defaultValue = "8",
            description = "Prompts per LLM activity: 1 is one activity per prompt (S2), more is a batch (S6 of one "
                    + "instruction's queries; the demo has 8) (default ${DEFAULT-VALUE}).")
    int promptsPerActivity;

    @Option(names = "--ignore-n", description = "The scripted server ignores n, as llama.cpp and transformers serve do: "
            + "each of the K samples of a prompt is its own request.")
    boolean ignoreN;

    @Spec
    CommandSpec spec;

    @Option(names = "--temporal-address", description = "host:port of a Temporal server (default: in-process test server).")
    String temporalAddress;

    /** Pending activities kept per workflow run: Temporal refuses more than 2,000; campaigns stay far below. */
    static final int MAX_WINDOW = 1_000;

    /**
     * What the benchmark workflow runs: {@code prompts} prompts of {@code samples} samples each, {@code promptsPerActivity}
     * to an LLM activity, at most {@code window} activities pending at once.
     */
    public record Plan(String llmTaskQueue, String runId, int prompts, int samples, int promptsPerActivity, int window) {}

    @WorkflowInterface
    public interface LlmBenchWorkflow {
        @WorkflowMethod(name = "AutoifLlmBench")
        int run(Plan plan);
    }

    public static class LlmBenchWorkflowImpl implements LlmBenchWorkflow {
        @Override
        public int run(Plan plan) {
            // A campaign's LLM options; a lost request is retried after 100 ms rather than the campaign's 1 s.
            LlmActivities llm = ActivityStubs.llm(100, plan.llmTaskQueue());
            List<Promise<Integer>> pending = new ArrayList<>();
            int samples = 0;
            for (int started = 0; started < plan.prompts() || !pending.isEmpty(); ) {
                while (started < plan.prompts() && pending.size() < plan.window()) {
                    int first = started;
                    started = Math.min(plan.prompts(), started + plan.promptsPerActivity());
                    pending.add(activity(llm, plan, first, started));
                }
                Promise.anyOf(pending).get();
                for (var it = pending.iterator(); it.hasNext(); ) {
                    Promise<Integer> p = it.next();
                    if (p.isCompleted()) {
                        samples += p.get();
                        it.remove();
                    }
                }
            }
            return samples;
        }

        /** Prompts [from, to) in one activity; the samples it returned. */
        private static Promise<Integer> activity(LlmActivities llm, Plan plan, int from, int to) {
            if (plan.promptsPerActivity() == 1) {
                return Async.function(llm::sampleResponses, request(plan, from)).thenApply(r -> r.samples().size());
            }
            List<ResponseRequest> prompts = new ArrayList<>();
            for (int i = from; i < to; i++) {
                prompts.add(request(plan, i));
            }
            return Async.function(llm::sampleResponseBatch, new ResponseBatchRequest(prompts)).thenApply(batch -> {
                int samples = 0;
                for (ResponseBatch.Item item : batch.items()) {
                    if (item.error() != null) {
                        throw ApplicationFailure.newNonRetryableFailure(item.error(), "BenchPromptFailed");
                    }
                    samples += item.samples().size();
                }
                return samples;
            });
        }

        private static ResponseRequest request(Plan plan, int i) {
            return new ResponseRequest(plan.runId(), VerifierPrompt.forInstruction(instruction(plan.runId(), i)),
                    LlmSettings.defaults(), plan.samples(), LlmRole.SUPERVISION, Stage.S6);
        }
    }

    static String instruction(String runId, int i) {
        return "Bench instruction " + runId + " #" + i;
    }

    @Override
    public Integer call() throws Exception {
        // Every shape sends the same number of HTTP requests: a prompt is one request, or K when the server ignores n.
        int requestsPerPrompt = ignoreN ? samplesPerRequest : 1;
        int prompts = Math.max(1, (requests > 0 ? requests : 25 * concurrency) / requestsPerPrompt);
        int measured = prompts * requestsPerPrompt;
        Path cacheDir = Files.createTempDirectory("autoif-bench-llm-cache");
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            Faults faults = Faults.none().withLatency(Duration.ofMillis(latencyMs));
            if (ignoreN) {
                faults = faults.withRates(Map.of(Faults.Mode.IGNORE_N, 1.0));
            }
            ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(), faults);
            resources.add(server);
            WorkflowClient client;
            if (temporalAddress != null) {
                TemporalConnection connection = TemporalConnection.connect(temporalAddress, "default", null);
                resources.add(connection);
                client = connection.client();
            } else {
                TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                        .setUseTimeskipping(false)
                        .setWorkflowClientOptions(WorkflowClientOptions.newBuilder()
                                .setDataConverter(WireFormat.dataConverter()).build())
                        .build());
                resources.add(env::close);
                client = env.getWorkflowClient();
            }
            String suffix = UUID.randomUUID().toString().substring(0, 8);
            String workflowQueue = "autoif-bench-workflows-" + suffix;
            String llmQueue = "autoif-bench-llm-" + suffix;
            EndpointLimiters limiters = new EndpointLimiters(AdaptiveConcurrencyLimiter.Settings.of(1, concurrency));
            LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(60)), new DiskCompletionCache(cacheDir),
                    limiters);
            WorkerFactory factory = WorkerFactory.newInstance(client);
            resources.add(() -> {
                factory.shutdownNow();
                factory.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            });
            factory.newWorker(workflowQueue).registerWorkflowImplementationTypes(LlmBenchWorkflowImpl.class);
            // The LLM queue's worker as the product sizes it from the cap.
            factory.newWorker(llmQueue, WorkerRuntime.llmCalls(concurrency).build())
                    .registerActivitiesImplementations(new LlmActivitiesImpl(gateway,
                            new LlmDefaults(server.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(60))));
            factory.start();

            // Activities pending: enough prompts for twice the cap, and never near Temporal's 2,000.
            int window = Math.min(MAX_WINDOW, Math.max(16, (2 * concurrency + promptsPerActivity - 1) / promptsPerActivity));
            run(client, workflowQueue, llmQueue, "warmup-" + suffix, Math.max(2 * concurrency / requestsPerPrompt, promptsPerActivity), window);
            String endpoint = server.baseUrl();
            AdaptiveConcurrencyLimiter limiter = limiters.forEndpoint(endpoint);
            AdaptiveConcurrencyLimiter.InFlightTotals before = limiter.inFlightTotals();
            double limitAtStart = limiter.limit(); // below C when the warm-up made the limiter back off
            Measure temporalPath = Measure.of(measured, () -> {
                int samples = run(client, workflowQueue, llmQueue, "run-" + suffix, prompts, window);
                if (samples != prompts * samplesPerRequest) {
                    throw new IllegalStateException("expected " + prompts * samplesPerRequest + " samples, got " + samples);
                }
            });
            double inFlight = limiter.inFlightTotals().averageSince(before);
            double limitAtEnd = limiter.limit();
            OpenAiChatClient direct = new OpenAiChatClient(Duration.ofSeconds(60));
            Measure baseline = Measure.of(measured, () -> directRequests(direct, server.baseUrl(), "base-" + suffix, prompts));

            PrintWriter out = spec.commandLine().getOut();
            double ideal = concurrency / (latencyMs / 1000.0);
            double bound = Math.min(ideal, baseline.rps());
            out.printf("requests=%d prompts=%d samples_per_prompt=%d server=%s prompts_per_activity=%d "
                            + "concurrency=%d latency_ms=%d window=%d temporal=%s load_average=%.2f%n",
                    measured, prompts, samplesPerRequest, ignoreN ? "ignores-n" : "honours-n", promptsPerActivity,
                    concurrency, latencyMs, window, temporalAddress != null ? temporalAddress : "in-process",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            out.printf("temporal_path: elapsed_s=%.3f achieved_rps=%.2f cpu_ms_per_request=%.2f "
                            + "requests_in_flight_avg=%.1f limiter_cap_start=%.0f limiter_cap_end=%.0f%n",
                    temporalPath.seconds(), temporalPath.rps(), temporalPath.cpuMsPerRequest(), inFlight, limitAtStart,
                    limitAtEnd);
            out.printf("baseline (direct HTTP, no Temporal, no cache): elapsed_s=%.3f rps=%.2f cpu_ms_per_request=%.2f%n",
                    baseline.seconds(), baseline.rps(), baseline.cpuMsPerRequest());
            out.printf("ideal_rps=%.2f (C/L) bound_rps=%.2f (min of ideal and baseline)%n", ideal, bound);
            out.printf("ratio=%.3f%n", temporalPath.rps() / bound);
            return 0;
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
        }
    }

    private int run(WorkflowClient client, String workflowQueue, String llmQueue, String runId, int prompts, int window) {
        LlmBenchWorkflow wf = client.newWorkflowStub(LlmBenchWorkflow.class, WorkflowOptions.newBuilder()
                .setTaskQueue(workflowQueue).setWorkflowId("autoif-bench-llm-" + runId).build());
        return wf.run(new Plan(llmQueue, runId, prompts, samplesPerRequest, promptsPerActivity, window));
    }

    /**
     * The baseline: the same HTTP requests from the gateway's HTTP client, C at a time on virtual threads (K per prompt
     * when the server ignores n).
     */
    private void directRequests(OpenAiChatClient http, String baseUrl, String runId, int prompts) throws Exception {
        Semaphore inFlight = new Semaphore(concurrency);
        int requestsPerPrompt = ignoreN ? samplesPerRequest : 1;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < prompts; i++) {
                for (int k = 0; k < requestsPerPrompt; k++) {
                    ChatCall call = new ChatCall(baseUrl, null, ScriptedLlmServer.MODEL,
                            List.of(new ChatCall.Message("user", VerifierPrompt.forInstruction(instruction(runId, i)))),
                            null, null, null, (long) k);
                    inFlight.acquire();
                    calls.add(threads.submit(() -> {
                        try {
                            return http.complete(call, samplesPerRequest);
                        } finally {
                            inFlight.release();
                        }
                    }));
                }
            }
            for (Future<?> call : calls) {
                call.get();
            }
        }
    }

    /** Wall time and this process's CPU time (worker, in-process server and scripted server alike) of one phase. */
    record Measure(int requests, double seconds, double cpuMs) {
        interface Phase {
            void run() throws Exception;
        }

        static Measure of(int requests, Phase phase) throws Exception {
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu = os.getProcessCpuTime();
            long started = System.nanoTime();
            phase.run();
            return new Measure(requests, (System.nanoTime() - started) / 1e9, (os.getProcessCpuTime() - cpu) / 1e6);
        }

        double rps() {
            return requests / seconds;
        }

        double cpuMsPerRequest() {
            return cpuMs / requests;
        }
    }
}
