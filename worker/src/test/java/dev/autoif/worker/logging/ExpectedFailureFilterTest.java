package dev.autoif.worker.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.autoif.workflows.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The SDK's per-attempt activity failure logs, through the filter, as a worker retrying against a dead engine sees them. */
class ExpectedFailureFilterTest {
    static final String SDK_LOGGER = "io.temporal.internal.activity.ActivityTaskExecutors$ActivityTaskExecutor";
    static final String SDK_FORMAT = "{} failure. ActivityId={}, activityType={}, attempt={}";

    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    final LoggerContext context = new LoggerContext();
    final ListAppender<ILoggingEvent> out = new ListAppender<>();
    final Logger sdk;

    ExpectedFailureFilterTest() {
        ExpectedFailureFilter filter = new ExpectedFailureFilter(clock::get);
        filter.setContext(context);
        filter.start();
        context.addTurboFilter(filter);
        out.setContext(context);
        out.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(out);
        sdk = context.getLogger(SDK_LOGGER);
    }

    void attemptFails(Throwable t, int attempt) {
        sdk.warn(SDK_FORMAT, "Activity", "id-" + attempt, "EvaluateVerifiers", attempt, t);
    }

    @Test
    void typedFailuresBecomeOneLinePerTypePerMinute() {
        ApplicationFailure engineDown = ApplicationFailure.newFailure("Docker engine unreachable (No such file or directory): "
                + "start it", FailureTypes.SANDBOX_ENGINE_DOWN);
        for (int i = 1; i <= 50; i++) {
            attemptFails(engineDown, i);
            clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        }
        assertEquals(1, out.list.size(), "one line for the first minute's 50 attempts: " + out.list);
        ILoggingEvent first = out.list.get(0);
        assertEquals(ExpectedFailureFilter.LOGGER, first.getLoggerName());
        assertEquals(null, first.getThrowableProxy(), "no stack trace");
        assertTrue(first.getFormattedMessage().startsWith("EvaluateVerifiers failed: Docker engine "
                + "unreachable (No such file or directory): start it [DockerEngineUnreachable] (1 failure of this type since"),
                first.getFormattedMessage());

        // Another type is not held back by the first one's minute.
        attemptFails(ApplicationFailure.newFailure("HTTP 503", FailureTypes.LLM_UNAVAILABLE), 51);
        assertEquals(2, out.list.size());
        assertTrue(out.list.get(1).getFormattedMessage().contains("[LlmUnavailable]"));

        clock.addAndGet(TimeUnit.SECONDS.toNanos(15)); // 65 s after the first line
        attemptFails(engineDown, 52);
        assertEquals(3, out.list.size());
        assertTrue(out.list.get(2).getFormattedMessage().contains("[DockerEngineUnreachable] (50 failures of this type since the last"),
                out.list.get(2).getFormattedMessage());
    }

    @Test
    void aWorkflowFailingWithATypedFailureIsOneLineToo() {
        ApplicationFailure cause = ApplicationFailure.newNonRetryableFailure("query file q.jsonl does not exist",
                FailureTypes.INVALID_CAMPAIGN_INPUT);
        context.getLogger("io.temporal.internal.sync.WorkflowExecutionHandler").warn(
                "Workflow execution failure WorkflowId='{}', RunId={}, WorkflowType='{}'", "c-1", "r-1", "AutoifCampaign",
                new RuntimeException("Activity failed", cause));
        assertEquals(1, out.list.size());
        assertEquals("workflow AutoifCampaign c-1 failed: query file q.jsonl does not exist [InvalidCampaignInput] (1 failure "
                + "of this type since the last such line; Temporal retries what can be retried)", out.list.get(0).getFormattedMessage());
        assertEquals(null, out.list.get(0).getThrowableProxy());
    }

    @Test
    void untypedFailuresKeepTheirStackTrace() {
        IllegalStateException bug = new IllegalStateException("a bug");
        attemptFails(bug, 1);
        attemptFails(bug, 2);
        assertEquals(2, out.list.size());
        assertEquals(SDK_LOGGER, out.list.get(0).getLoggerName());
        assertEquals(bug.getClass().getName(), out.list.get(0).getThrowableProxy().getClassName());
    }

    @Test
    void otherLogLinesPassUntouched() {
        context.getLogger("dev.autoif.worker.WorkerAssembly").warn("could not sweep",
                ApplicationFailure.newFailure("x", FailureTypes.SANDBOX_ENGINE_DOWN));
        assertEquals(1, out.list.size());
        assertEquals("could not sweep", out.list.get(0).getFormattedMessage());
    }
}
