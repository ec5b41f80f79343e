package dev.autoif.worker.temporal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.serviceclient.WorkflowServiceStubs;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded dev server keeps closed workflows for {@link NamespaceRetention#EMBEDDED}; a worker on a namespace that
 * keeps less than the minimum gets a warning naming both and the command that fixes it.
 */
@Tag("dev-server")
class NamespaceRetentionIT {
    @TempDir
    Path dataDir;

    @Test
    void embeddedServerKeepsLongAndAShortNamespaceIsWarnedAbout() throws Exception {
        try (EmbeddedTemporal embedded = EmbeddedTemporal.start(dataDir)) {
            WorkflowServiceStubs stubs = embedded.client().getWorkflowServiceStubs();
            assertEquals(NamespaceRetention.EMBEDDED, NamespaceRetention.of(stubs, "default"));
            assertNull(NamespaceRetention.warning(stubs, "default", Duration.ofDays(30)));

            NamespaceRetention.set(stubs, "default", Duration.ofHours(24)); // what a fresh dev server or compose has
            String warning = NamespaceRetention.warning(stubs, "default", Duration.ofDays(30));
            assertTrue(warning != null && warning.contains("keeps closed workflows for 1d only (minimum configured: 30d)")
                    && warning.contains("temporal operator namespace update --retention 30d -n default"), warning);
        }
    }
}
