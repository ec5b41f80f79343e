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
import dev.autoif.workflows.ActivityStubs;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.LlmActivities;
import dev.autoif.workflows.activities.VerifierCompletions;
import dev.autoif.workflows.activities.VerifierRequest;
import dev.autoif.workflows.campaign.LlmSettings;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * LLM throughput through the whole Temporal path — workflow, LLM activity on its task queue,
 * gateway (cache, adaptive limiter), real HTTP — against the scripted server answering every
 * request after a fixed latency L. With C requests allowed in flight the ideal is C/L requests/s.
 * In the same run the same requests go straight from the gateway's HTTP client with C in flight
 * (no Temporal, no cache): the physical limit of this machine for that load. The ratio is the
 * achieved rate over the lower of the two, so a slow machine does not pass for a slow path.
 * The workflow keeps at most {@code window} activities pending, as a campaign does, well under
 * Temporal's 2,000 pending activities per run (the in-process test server has no such limit).
 */
@Command(name = "llm", mixinStandardHelpOptions = true,
        description = "Requests/s through Temporal + gateway vs min(ideal C/L, direct HTTP baseline); last line ratio=.")
public class LlmBenchmark implements Callable<Integer> {
    @Option(names = "--latency-ms", defaultValue = "200", description = "Scripted server latency L (default ${DEFAULT-VALUE}).")
    long latencyMs;

    @Option(names = "--concurrency", defaultValue = "16", description = "Gateway concurrency C (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--requests", defaultValue = "0", description = "Measured requests (default 25 x C).")
    int requests;

    @Option(names = "--samples", defaultValue = "1",
            description = "Samples per request (the OpenAI n; a campaign's S2 asks 8, S6 asks K) (default ${DEFAULT-VALUE}).")
    int samplesPerRequest;

    @Option(names = "--temporal-address", description = "host:port of a Temporal server (default: in-process test server).")
    String temporalAddress;

    /** Pending activities kept per workflow run: Temporal refuses more than 2,000; campaigns stay far below. */
    static final int MAX_WINDOW = 1_000;

    /**
     * What the benchmark workflow runs: {@code requests} LLM activities of {@code samples} samples each, at most
     * {@code window} pending at once.
     */
    public record Plan(String llmTaskQueue, String runId, int requests, int samples, int window) {}

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
            List<Promise<VerifierCompletions>> pending = new ArrayList<>();
            int samples = 0;
            for (int started = 0; started < plan.requests() || !pending.isEmpty(); ) {
                while (started < plan.requests() && pending.size() < plan.window()) {
                    pending.add(Async.function(llm::generateVerifiers, new VerifierRequest(plan.runId(),
                            instruction(plan.runId(), started++), LlmSettings.defaults(), plan.samples())));
                }
                Promise.anyOf(pending).get();
                for (var it = pending.iterator(); it.hasNext(); ) {
                    Promise<VerifierCompletions> p = it.next();
                    if (p.isCompleted()) {
                        samples += p.get().samples().size();
                        it.remove();
                    }
                }
            }
            return samples;
        }
    }

    static String instruction(String runId, int i) {
        return "Bench instruction " + runId + " #" + i;
    }

    @Override
    public Integer call() throws Exception {
        int measured = requests > 0 ? requests : 25 * concurrency;
        Path cacheDir = Files.createTempDirectory("autoif-bench-llm-cache");
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load(),
                    Faults.none().withLatency(Duration.ofMillis(latencyMs)));
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
            LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(60)), new DiskCompletionCache(cacheDir),
                    new EndpointLimiters(AdaptiveConcurrencyLimiter.Settings.of(1, concurrency)));
            WorkerFactory factory = WorkerFactory.newInstance(client);
            resources.add(() -> {
                factory.shutdownNow();
                factory.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            });
            factory.newWorker(workflowQueue).registerWorkflowImplementationTypes(LlmBenchWorkflowImpl.class);
            factory.newWorker(llmQueue, WorkerOptions.newBuilder()
                            .setMaxConcurrentActivityExecutionSize(concurrency)
                            .setMaxConcurrentActivityTaskPollers(Math.max(2, Math.min(concurrency, 16)))
                            .build())
                    .registerActivitiesImplementations(new LlmActivitiesImpl(gateway,
                            new LlmDefaults(server.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(60))));
            factory.start();

            int window = Math.min(MAX_WINDOW, Math.max(2 * concurrency, 64));
            run(client, workflowQueue, llmQueue, "warmup-" + suffix, concurrency * 2, window);
            Measure temporalPath = Measure.of(measured, () -> {
                int samples = run(client, workflowQueue, llmQueue, "run-" + suffix, measured, window);
                if (samples != measured * samplesPerRequest) {
                    throw new IllegalStateException("expected " + measured * samplesPerRequest + " samples, got " + samples);
                }
            });
            OpenAiChatClient direct = new OpenAiChatClient(Duration.ofSeconds(60));
            Measure baseline = Measure.of(measured, () -> directRequests(direct, server.baseUrl(), "base-" + suffix, measured));

            double ideal = concurrency / (latencyMs / 1000.0);
            double bound = Math.min(ideal, baseline.rps());
            System.out.printf("requests=%d samples_per_request=%d concurrency=%d latency_ms=%d window=%d temporal=%s%n",
                    measured, samplesPerRequest, concurrency, latencyMs, window,
                    temporalAddress != null ? temporalAddress : "in-process");
            System.out.printf("temporal_path: elapsed_s=%.3f achieved_rps=%.2f cpu_ms_per_request=%.2f%n",
                    temporalPath.seconds(), temporalPath.rps(), temporalPath.cpuMsPerRequest());
            System.out.printf("baseline (direct HTTP, no Temporal, no cache): elapsed_s=%.3f rps=%.2f cpu_ms_per_request=%.2f%n",
                    baseline.seconds(), baseline.rps(), baseline.cpuMsPerRequest());
            System.out.printf("ideal_rps=%.2f (C/L) bound_rps=%.2f (min of ideal and baseline)%n", ideal, bound);
            System.out.printf("ratio=%.3f%n", temporalPath.rps() / bound);
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

    private int run(WorkflowClient client, String workflowQueue, String llmQueue, String runId, int n, int window) {
        LlmBenchWorkflow wf = client.newWorkflowStub(LlmBenchWorkflow.class, WorkflowOptions.newBuilder()
                .setTaskQueue(workflowQueue).setWorkflowId("autoif-bench-llm-" + runId).build());
        return wf.run(new Plan(llmQueue, runId, n, samplesPerRequest, window));
    }

    /** The baseline: the same requests from the gateway's HTTP client, C at a time on virtual threads. */
    private void directRequests(OpenAiChatClient http, String baseUrl, String runId, int n) throws Exception {
        Semaphore inFlight = new Semaphore(concurrency);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ChatCall call = new ChatCall(baseUrl, null, ScriptedLlmServer.MODEL,
                        List.of(new ChatCall.Message("user", VerifierPrompt.forInstruction(instruction(runId, i)))),
                        null, null, null, 0L);
                inFlight.acquire();
                calls.add(threads.submit(() -> {
                    try {
                        return http.complete(call, samplesPerRequest);
                    } finally {
                        inFlight.release();
                    }
                }));
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
