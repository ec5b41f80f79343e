package dev.autoif.worker.temporal;

import com.google.protobuf.util.Durations;
import io.temporal.api.namespace.v1.NamespaceConfig;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.api.workflowservice.v1.UpdateNamespaceRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.time.Duration;

/**
 * How long the namespace keeps closed workflows (the UI record of every finished instruction). The dev server and the
 * compose stack default to 24 h, so a week-long campaign would lose the history of its first days: the embedded mode
 * sets {@link #EMBEDDED} on its own server, and a worker on somebody else's server warns when the namespace keeps less
 * than the configured minimum (it does not change a server it does not own).
 */
public final class NamespaceRetention {
    /** What the embedded dev server's namespace keeps. */
    public static final Duration EMBEDDED = Duration.ofDays(90);

    private NamespaceRetention() {}

    public static Duration of(WorkflowServiceStubs stubs, String namespace) {
        NamespaceConfig config = stubs.blockingStub().describeNamespace(DescribeNamespaceRequest.newBuilder()
                .setNamespace(namespace).build()).getConfig();
        return Duration.ofMillis(Durations.toMillis(config.getWorkflowExecutionRetentionTtl()));
    }

    /** Sets the retention of a namespace this process owns (the embedded dev server's). */
    public static void set(WorkflowServiceStubs stubs, String namespace, Duration retention) {
        stubs.blockingStub().updateNamespace(UpdateNamespaceRequest.newBuilder()
                .setNamespace(namespace)
                .setConfig(NamespaceConfig.newBuilder()
                        .setWorkflowExecutionRetentionTtl(Durations.fromMillis(retention.toMillis())))
                .build());
    }

    /** The warning a worker logs at start, or null when the namespace keeps closed workflows long enough. */
    public static String warning(WorkflowServiceStubs stubs, String namespace, Duration minimum) {
        Duration kept = of(stubs, namespace);
        if (kept.compareTo(minimum) >= 0) {
            return null;
        }
        return "namespace '" + namespace + "' keeps closed workflows for " + days(kept) + " only (minimum configured: "
                + days(minimum) + "): the Web UI loses the record of a campaign's finished instructions after that. "
                + "Raise it with: temporal operator namespace update --retention " + days(minimum) + " -n " + namespace
                + " (or set autoif.temporal.min-retention / AUTOIF_TEMPORAL_MIN_RETENTION to silence this)";
    }

    private static String days(Duration d) {
        return d.toHours() % 24 == 0 ? d.toDays() + "d" : d.toHours() + "h";
    }
}
