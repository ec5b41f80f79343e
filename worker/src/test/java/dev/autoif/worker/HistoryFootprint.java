package dev.autoif.worker;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import java.util.ArrayList;
import java.util.List;

/**
 * What a finished campaign cost Temporal's history: events and payload bytes (inputs, results, signals, markers) of
 * the campaign's runs and of its instructions' workflows, found through visibility in namespace "default".
 */
record HistoryFootprint(int runs, long campaignEvents, long campaignBytes, long childEvents, long childBytes) {

    /** @param instructions how many instruction workflows the campaign ran: visibility is waited for until it lists them */
    static HistoryFootprint of(WorkflowClient client, String campaignId, int instructions) throws InterruptedException {
        long campaignEvents = 0;
        long campaignBytes = 0;
        List<String> runs = runsOf(client, campaignId);
        for (String runId : runs) {
            WorkflowExecutionHistory history = client.fetchHistory(campaignId, runId);
            campaignEvents += history.getEvents().size();
            campaignBytes += payloadBytes(history);
        }
        long childEvents = 0;
        long childBytes = 0;
        List<String> children = childrenOf(client, campaignId);
        for (int i = 0; i < 60 && children.size() < instructions; i++) {
            Thread.sleep(1000);
            children = childrenOf(client, campaignId);
        }
        if (children.size() != instructions) {
            throw new AssertionError("visibility lists " + children.size() + " instruction workflows of " + campaignId
                    + ", not " + instructions);
        }
        for (String childId : children) {
            WorkflowExecutionHistory history = client.fetchHistory(childId);
            childEvents += history.getEvents().size();
            childBytes += payloadBytes(history);
        }
        return new HistoryFootprint(runs.size(), campaignEvents, campaignBytes, childEvents, childBytes);
    }

    /** History events per instruction, the campaign's runs and its instructions' workflows together. */
    double eventsPer(int instructions) {
        return (double) (campaignEvents + childEvents) / instructions;
    }

    /** Payload bytes per instruction, the campaign's runs and its instructions' workflows together. */
    double bytesPer(int instructions) {
        return (double) (campaignBytes + childBytes) / instructions;
    }

    /** The campaign's runs, once visibility lists the last one closed (it is eventually consistent). */
    static List<String> runsOf(WorkflowClient client, String campaignId) throws InterruptedException {
        List<String> runs = List.of();
        for (int i = 0; i < 60; i++) {
            if (i > 0) Thread.sleep(1000);
            var executions = client.getWorkflowServiceStubs().blockingStub().listWorkflowExecutions(
                    ListWorkflowExecutionsRequest.newBuilder().setNamespace("default").setPageSize(1000)
                            .setQuery("WorkflowId = '" + campaignId + "'").build()).getExecutionsList();
            runs = executions.stream().map(e -> e.getExecution().getRunId()).toList();
            if (executions.stream().anyMatch(e -> e.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED)) {
                break;
            }
        }
        return runs;
    }

    /** The workflow IDs of the campaign's instructions (their AutoifCampaign search attribute). */
    static List<String> childrenOf(WorkflowClient client, String campaignId) {
        List<String> ids = new ArrayList<>();
        ByteString page = ByteString.EMPTY;
        do {
            var response = client.getWorkflowServiceStubs().blockingStub().listWorkflowExecutions(
                    ListWorkflowExecutionsRequest.newBuilder().setNamespace("default").setPageSize(1000)
                            .setNextPageToken(page).setQuery("AutoifCampaign = '" + campaignId + "'").build());
            response.getExecutionsList().forEach(e -> ids.add(e.getExecution().getWorkflowId()));
            page = response.getNextPageToken();
        } while (!page.isEmpty());
        return ids;
    }

    /** What the history carries as data (inputs, results, signals, markers): every payload's bytes. */
    static long payloadBytes(WorkflowExecutionHistory history) {
        long bytes = 0;
        for (HistoryEvent event : history.getEvents()) {
            bytes += payloadBytes(event);
        }
        return bytes;
    }

    private static long payloadBytes(Message message) {
        if (message instanceof Payload payload) {
            return payload.getData().size();
        }
        long bytes = 0;
        for (var field : message.getAllFields().entrySet()) {
            if (field.getKey().getJavaType() != Descriptors.FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            if (field.getKey().isRepeated()) {
                for (Object element : (List<?>) field.getValue()) {
                    bytes += element instanceof Message m ? payloadBytes(m) : 0;
                }
            } else {
                bytes += payloadBytes((Message) field.getValue());
            }
        }
        return bytes;
    }
}
