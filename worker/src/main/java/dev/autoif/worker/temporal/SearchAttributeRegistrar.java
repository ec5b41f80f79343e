package dev.autoif.worker.temporal;

import dev.autoif.workflows.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesResponse;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the product's search attributes on the namespace if they are missing. Without them
 * every workflow that sets one would fail its tasks and hang, so the worker does this first.
 */
public final class SearchAttributeRegistrar {
    private static final Logger log = LoggerFactory.getLogger(SearchAttributeRegistrar.class);

    private SearchAttributeRegistrar() {}

    public static void ensureRegistered(WorkflowServiceStubs service, String namespace) {
        OperatorServiceStubs operator = OperatorServiceStubs.newServiceStubs(OperatorServiceStubsOptions.newBuilder()
                .setChannel(service.getRawChannel())
                .validateAndBuildWithDefaults());
        try {
            ListSearchAttributesResponse existing = operator.blockingStub()
                    .listSearchAttributes(ListSearchAttributesRequest.newBuilder().setNamespace(namespace).build());
            Map<String, IndexedValueType> custom = existing.getCustomAttributesMap();
            AddSearchAttributesRequest.Builder add = AddSearchAttributesRequest.newBuilder().setNamespace(namespace);
            for (var key : SearchAttributes.ALL) {
                if (!custom.containsKey(key.getName())) {
                    add.putSearchAttributes(key.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
                }
            }
            if (add.getSearchAttributesCount() > 0) {
                operator.blockingStub().addSearchAttributes(add.build());
                log.info("registered search attributes {} on namespace {}", add.getSearchAttributesMap().keySet(), namespace);
            }
        } finally {
            operator.shutdown();
        }
    }
}
