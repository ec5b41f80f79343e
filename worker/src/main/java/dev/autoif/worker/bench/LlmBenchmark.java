package dev.autoif.worker.bench;

import dev.autoif.activities.llm.AdaptiveConcurrencyLimiter;
import dev.autoif.activities.llm.DiskCompletionCache;
import dev.autoif.activities.llm.EndpointLimiters;
import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.LlmActivities;
import dev.autoif.workflows.activities.VerifierCompletions;
import dev.autoif.workflows.activities.VerifierRequest;
import dev.autoif.workflows.campaign.LlmSettings;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * LLM throughput through the whole Temporal path — workflow, LLM activity on its task queue,
 * gateway (cache, adaptive limiter), real HTTP — against the scripted server answering every
 * request after a fixed latency L. With C requests allowed in flight the ideal is C/L requests/s;
 * the ratio says how much of it the machinery keeps.
 */
@Command(name = "llm", mixinStandardHelpOptions = true,
        description = "Requests/s through Temporal + gateway vs the ideal C/L; last line ratio=<achieved/ideal>.")
public class LlmBenchmark implements Callable<Integer> {
    @Option(names = "--latency-ms", defaultValue = "200", description = "Scripted server latency L (default ${DEFAULT-VALUE}).")
    long latencyMs;

    @Option(names = "--concurrency", defaultValue = "16", description = "Gateway concurrency C (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--requests", defaultValue = "0", description = "Measured requests (default 25 x C).")
    int requests;

    @Option(names = "--temporal-address", description = "host:port of a Temporal server (default: in-process test server).")
    String temporalAddress;

    /** What the benchmark workflow fans out: {@code requests} one-sample LLM activities, all at once. */
    public record Plan(String llmTaskQueue, String runId, int requests) {}

    @WorkflowInterface
    public interface LlmBenchWorkflow {
        @WorkflowMethod(name = "AutoifLlmBench")
        int run(Plan plan);
    }

    public static class LlmBenchWorkflowImpl implements LlmBenchWorkflow {
        @Override
        public int run(Plan plan) {
            LlmActivities llm = Workflow.newActivityStub(LlmActivities.class, ActivityOptions.newBuilder()
                    .setTaskQueue(plan.llmTaskQueue())
                    .setStartToCloseTimeout(Duration.ofMinutes(5))
                    .setRetryOptions(RetryOptions.newBuilder().setInitialInterval(Duration.ofMillis(100)).build())
                    .build());
            List<Promise<VerifierCompletions>> calls = new ArrayList<>();
            for (int i = 0; i < plan.requests(); i++) {
                calls.add(Async.function(llm::generateVerifiers, new VerifierRequest(plan.runId(),
                        "Bench instruction " + plan.runId() + " #" + i, LlmSettings.defaults(), 1)));
            }
            int samples = 0;
            for (Promise<VerifierCompletions> p : calls) {
                samples += p.get().samples().size();
            }
            return samples;
        }
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

            run(client, workflowQueue, llmQueue, "warmup-" + suffix, concurrency * 2);
            long started = System.nanoTime();
            int samples = run(client, workflowQueue, llmQueue, "run-" + suffix, measured);
            double seconds = (System.nanoTime() - started) / 1e9;
            if (samples != measured) {
                System.err.println("expected " + measured + " samples, got " + samples);
                return 1;
            }
            double achieved = measured / seconds;
            double ideal = concurrency / (latencyMs / 1000.0);
            System.out.printf("requests=%d concurrency=%d latency_ms=%d temporal=%s%n", measured, concurrency, latencyMs,
                    temporalAddress != null ? temporalAddress : "in-process");
            System.out.printf("elapsed_s=%.3f achieved_rps=%.2f ideal_rps=%.2f (C/L)%n", seconds, achieved, ideal);
            System.out.printf("ratio=%.3f%n", achieved / ideal);
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

    private static int run(WorkflowClient client, String workflowQueue, String llmQueue, String runId, int n) {
        LlmBenchWorkflow wf = client.newWorkflowStub(LlmBenchWorkflow.class, WorkflowOptions.newBuilder()
                .setTaskQueue(workflowQueue).setWorkflowId("autoif-bench-llm-" + runId).build());
        return wf.run(new Plan(llmQueue, runId, n));
    }
}
