package dev.autoif.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.activities.llm.ResponseBatchRequest;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.registration.WorkflowRegistration;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptorBase;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays histories recorded from real runs (demo campaign on the real worker, {@code temporal workflow show --output
 * json | gzip}) against the current workflow code, registered exactly as the worker registers it. A change to workflow
 * logic that would make an in-flight campaign non-deterministic fails here; version it (README, "Changing workflow
 * code"). Histories named {@code *-56f1ade-*} were recorded by the worker built from commit 56f1ade, before live
 * control and tolerant payloads: they prove that an upgrade mid-campaign replays.
 */
class ReplayTest {
    private TestWorkflowEnvironment env;
    private Worker worker;

    /** The arguments of every activity the replayed code scheduled (commands are compared on replay, inputs are not). */
    private final List<Object> activityArguments = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setDataConverter(WireFormat.dataConverter()).build())
                .setWorkerFactoryOptions(WorkerFactoryOptions.newBuilder()
                        .setWorkerInterceptors(new ActivityArgumentsSeen(activityArguments)).build())
                .build());
        worker = env.newWorker(TaskQueues.WORKFLOWS);
        WorkflowRegistration.register(worker);
    }

    @AfterEach
    void tearDown() {
        env.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "campaign-56f1ade-demo.json.gz",
            "instruction-56f1ade-kept-stage2.json.gz",
            "instruction-56f1ade-dropped.json.gz",
            "campaign-live-control-demo.json.gz",
            "instruction-live-control-kept-stage2.json.gz",
            "campaign-approval-gate-stage1.json.gz",
            "campaign-approval-gate-stage2.json.gz",
            "instruction-approval-gate-stage2-only.json.gz",
            "campaign-no-drain-first-run.json.gz",
            "campaign-no-drain-last-run.json.gz",
            "instruction-no-drain-kept-stage2.json.gz",
            "online-dpo-one-round.json.gz",
            "online-dpo-round.json.gz",
            "instruction-batched-s6-kept-stage2.json.gz",
            "instruction-local-writes-kept-stage2.json.gz",
            "instruction-stored-completions-kept-stage2.json.gz",
            "instruction-stored-responses-kept-stage2.json.gz",
            "instruction-report-retried-campaign-gone.json.gz",
    })
    void recordedHistoryReplays(String resource) throws Exception {
        WorkflowExecutionHistory history = WorkflowExecutionHistory.fromJson(read("histories/" + resource));
        assertFalse(history.getEvents().isEmpty(), resource);
        WorkflowReplayer.replayWorkflowExecution(history, worker);
    }

    /**
     * Where S2's and S6's completions go depends on the branch the instruction's history took: an instruction from
     * before the store took request records (56f1ade's) writes its records positionally, which cannot say "the
     * completions are in the store", so S2 and S6 must return them whole; a current one has them stored.
     */
    @ParameterizedTest
    @CsvSource({"instruction-56f1ade-kept-stage2.json.gz, false", "instruction-stored-completions-kept-stage2.json.gz, true",
            "instruction-stored-responses-kept-stage2.json.gz, true"})
    void completionsAreStoredOnlyWhereTheRecordsCanBeCompletedFromTheStore(String resource, boolean stored)
            throws Exception {
        WorkflowReplayer.replayWorkflowExecution(WorkflowExecutionHistory.fromJson(read("histories/" + resource)), worker);
        List<VerifierRequest> s2 = seen(VerifierRequest.class);
        assertEquals(1, s2.size(), activityArguments.toString());
        assertEquals(stored, s2.get(0).storeSamplesAt() != null, s2.toString());
        for (ResponseBatchRequest s6 : seen(ResponseBatchRequest.class)) {
            assertEquals(stored, s6.storeResponsesAt() != null, s6.toString());
        }
    }

    private <T> List<T> seen(Class<T> type) {
        return activityArguments.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Records the arguments of every activity the workflow code schedules, replaying or not. */
    private static final class ActivityArgumentsSeen extends WorkerInterceptorBase {
        private final List<Object> seen;

        ActivityArgumentsSeen(List<Object> seen) {
            this.seen = seen;
        }

        @Override
        public WorkflowInboundCallsInterceptor interceptWorkflow(WorkflowInboundCallsInterceptor next) {
            return new WorkflowInboundCallsInterceptorBase(next) {
                @Override
                public void init(WorkflowOutboundCallsInterceptor outbound) {
                    super.init(new WorkflowOutboundCallsInterceptorBase(outbound) {
                        @Override
                        public <R> ActivityOutput<R> executeActivity(ActivityInput<R> input) {
                            seen.addAll(Arrays.asList(input.getArgs()));
                            return super.executeActivity(input);
                        }
                    });
                }
            };
        }
    }

    static String read(String resource) throws IOException {
        try (InputStream in = ReplayTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertTrue(in != null, "missing test resource " + resource);
            try (InputStream unzipped = new GZIPInputStream(in)) {
                return new String(unzipped.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }
}
