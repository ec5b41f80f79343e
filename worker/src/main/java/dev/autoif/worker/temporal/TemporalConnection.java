package dev.autoif.worker.temporal;

import dev.autoif.workflows.WireFormat;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.time.Duration;

/** A client of a Temporal server, with the product's strict data converter. */
public final class TemporalConnection implements AutoCloseable {
    private final WorkflowServiceStubs service;
    private final WorkflowClient client;

    private TemporalConnection(WorkflowServiceStubs service, WorkflowClient client) {
        this.service = service;
        this.client = client;
    }

    public static TemporalConnection connect(String address, String namespace, com.uber.m3.tally.Scope metrics) {
        WorkflowServiceStubsOptions.Builder options = WorkflowServiceStubsOptions.newBuilder().setTarget(address);
        if (metrics != null) {
            options.setMetricsScope(metrics);
        }
        WorkflowServiceStubs service = WorkflowServiceStubs.newConnectedServiceStubs(options.build(), Duration.ofSeconds(30));
        return new TemporalConnection(service, client(service, namespace));
    }

    public static WorkflowClient client(WorkflowServiceStubs service, String namespace) {
        return WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder()
                .setNamespace(namespace)
                .setDataConverter(WireFormat.dataConverter())
                .build());
    }

    public WorkflowServiceStubs service() {
        return service;
    }

    public WorkflowClient client() {
        return client;
    }

    @Override
    public void close() {
        service.shutdown();
        service.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    }
}
