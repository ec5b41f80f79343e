package dev.autoif.workflows.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.registration.WorkflowRegistration;
import dev.autoif.workflows.activities.store.CampaignStoreActivities;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.sandbox.SandboxActivities;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityMethod;
import io.temporal.activity.DynamicActivity;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.EncodedValues;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hold-out probe of a rolling deploy: every activity result carries a field the workflow's records do not know (as
 * a newer activity worker writes), and the campaign still completes with the project's data converter. A campaign JSON
 * a user wrote with an unknown field still fails at once, naming it.
 */
class TolerantPayloadsTest {
    private static final ObjectMapper JSON = WireFormat.internalObjectMapper();
    private TestWorkflowEnvironment env;
    private final CampaignWorkflowTest.FakeLlm llm = new CampaignWorkflowTest.FakeLlm();
    private final CampaignWorkflowTest.FakeStore store = new CampaignWorkflowTest.FakeStore(llm.storedSamples, llm.storedResponses);
    private final AtomicInteger unknownFieldsSent = new AtomicInteger();

    @BeforeEach
    void setUp() {
        env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setDataConverter(WireFormat.dataConverter()).build())
                .build());
        for (var key : SearchAttributes.ALL) {
            env.registerSearchAttribute(key.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
        }
        Worker workflows = env.newWorker(TaskQueues.WORKFLOWS);
        WorkflowRegistration.register(workflows, 3, 40);
        workflows.registerActivitiesImplementations(new FromANewerWorker(List.of(CampaignStoreActivities.class,
                ExportActivities.class), store));
        env.newWorker(TaskQueues.LLM).registerActivitiesImplementations(
                new FromANewerWorker(LlmActivities.class, llm));
        env.newWorker(TaskQueues.SANDBOX).registerActivitiesImplementations(
                new FromANewerWorker(SandboxActivities.class, new CampaignWorkflowTest.FakeSandbox(new AtomicInteger(), llm.storedResponses)));
        env.start();
    }

    @AfterEach
    void tearDown() {
        env.close();
    }

    @Test
    void activityResultsWithAnUnknownFieldDoNotFailTheCampaign() throws Exception {
        CampaignInput input = WireFormat.objectMapper().readValue("{\"seedInstructions\": [\"instruction 0\", "
                + "\"instruction 1\", \"instruction 2\", \"instruction 3\", \"instruction 4\"], "
                + "\"verifiersPerInstruction\": 4, \"consistency\": \"none\", \"queryFile\": \"q.jsonl\", "
                + "\"queriesPerInstruction\": 2, \"responsesPerQuery\": 4, \"maxConcurrentInstructions\": 2}",
                CampaignInput.class);
        CampaignResult result = env.getWorkflowClient().newWorkflowStub(CampaignWorkflow.class,
                WorkflowOptions.newBuilder().setWorkflowId("newer").setTaskQueue(TaskQueues.WORKFLOWS).build()).run(input, null);

        assertEquals(5, result.funnel().finished());
        assertEquals(5, result.funnel().kept());
        assertEquals(10, result.funnel().responses().sftRows(), "Stage 2 ran on the tolerant records too");
        assertTrue(unknownFieldsSent.get() > 20, "every kind of result carried the unknown field: " + unknownFieldsSent);
    }

    @Test
    void aUserCampaignWithAnUnknownFieldStillFailsAtOnceNamingIt() {
        WorkflowStub stub = env.getWorkflowClient().newUntypedWorkflowStub(CampaignWorkflow.TYPE,
                WorkflowOptions.newBuilder().setWorkflowId("typo").setTaskQueue(TaskQueues.WORKFLOWS).build());
        stub.start(Map.of("seedInstructions", List.of("a"), "supervision", Map.of("modle", "m")));
        var e = assertThrows(WorkflowFailedException.class, () -> stub.getResult(CampaignResult.class));
        String message = String.valueOf(e.getCause().getMessage());
        assertTrue(message.contains("\"modle\""), "a nested unknown field is named too: " + message);
    }

    /**
     * A checkpoint carries a field this code does not know, and is read anyway: as the run state beside the input,
     * and inside the strict campaign input where earlier workers carried it ('resume'), whose own fields stay strict.
     */
    @Test
    void aCheckpointFromAnotherWorkerIsReadButTheCampaignAroundItStaysStrict() {
        var converter = WireFormat.dataConverter();
        String checkpoint = "\"resume\": {\"outputDir\": \"d\", \"instructionCount\": 3, \"nextIndex\": 1, "
                + "\"fieldOfANewerRelease\": true, \"funnel\": {\"instructions\": 3, \"finished\": 1, \"kept\": 1, "
                + "\"droppedByReason\": {}, \"anotherNewField\": 1}}";
        CampaignInput read = converter.fromPayload(json("{\"seedInstructions\": [\"a\"], " + checkpoint + "}"),
                CampaignInput.class, CampaignInput.class);
        assertEquals(1, read.legacyResume().nextIndex());
        assertEquals(1, read.legacyResume().funnel().kept());
        CampaignCheckpoint beside = converter.fromPayload(json(checkpoint.substring(checkpoint.indexOf('{'))),
                CampaignCheckpoint.class, CampaignCheckpoint.class);
        assertEquals(1, beside.funnel().kept());
        var e = assertThrows(io.temporal.common.converter.DataConverterException.class, () -> converter.fromPayload(
                json("{\"seedInstructions\": [\"a\"], \"verifiersPerInstructon\": 8, " + checkpoint + "}"),
                CampaignInput.class, CampaignInput.class));
        assertTrue(e.getMessage().contains("verifiersPerInstructon"), e.getMessage());
    }

    private static io.temporal.api.common.v1.Payload json(String text) {
        return WireFormat.dataConverter().toPayload(JSON.valueToTree(parse(text))).orElseThrow();
    }

    private static Object parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Serves an activity interface through {@code target}, adding {@code fieldOfANewerRelease} to every object result
     * (and to every object inside a list result) the way a worker built from a newer release would.
     */
    private final class FromANewerWorker implements DynamicActivity {
        private final List<Class<?>> apis;
        private final Object target;

        FromANewerWorker(Class<?> api, Object target) {
            this(List.of(api), target);
        }

        /** Several interfaces one object implements: a worker takes one dynamic activity only. */
        FromANewerWorker(List<Class<?>> apis, Object target) {
            this.apis = apis;
            this.target = target;
        }

        @Override
        public Object execute(EncodedValues args) {
            String type = Activity.getExecutionContext().getInfo().getActivityType();
            Method method = null;
            for (Class<?> api : apis) {
                for (Method m : api.getMethods()) {
                    if (m.getAnnotation(ActivityMethod.class).name().equals(type)) method = m;
                }
            }
            if (method == null) throw new IllegalStateException("no activity " + type + " in " + apis);
            Object[] values = new Object[method.getParameterCount()];
            for (int i = 0; i < values.length; i++) {
                values[i] = args.get(i, method.getParameterTypes()[i], method.getGenericParameterTypes()[i]);
            }
            Object result;
            try {
                result = method.invoke(target, values);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            return result == null ? null : withUnknownField(JSON.valueToTree(result));
        }

        private JsonNode withUnknownField(JsonNode node) {
            if (node instanceof ObjectNode object) {
                object.put("fieldOfANewerRelease", "ignored by older workflows");
                unknownFieldsSent.incrementAndGet();
            } else if (node.isArray()) {
                node.forEach(this::withUnknownField);
            }
            return node;
        }
    }
}
