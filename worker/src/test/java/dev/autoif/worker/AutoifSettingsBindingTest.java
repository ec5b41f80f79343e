package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The worker's settings bind from their keys: a key left unset, or blank when application.yml maps its variable,
 * keeps the default AutoifProperties states; a key set replaces it.
 */
class AutoifSettingsBindingTest {
    @Test
    void unsetKeysKeepTheirDefaults() {
        // Blank is what application.yml yields for its variables when they are unset (set here in case they are not).
        Map<String, Object> blank = Map.of("autoif.temporal.namespace", "", "autoif.sandbox.image", "",
                "autoif.llm.base-url", "", "autoif.llm.cache.jdbc-url", "");
        try (ApplicationContext context = ApplicationContext.builder(Environment.CLI).properties(blank).start()) {
            AutoifSettings s = context.getBean(AutoifSettings.class);
            assertEquals(8, s.llmConcurrency());
            assertEquals("default", s.temporalNamespace());
            assertEquals("autoif/verifier:1", s.verifierImage());
            assertEquals(400_000, s.sandboxCoalesceMaxCells());
            assertEquals(Duration.ofSeconds(600), s.llmRequestTimeout());
            assertEquals(Path.of("autoif-data"), s.dataDir());
            assertEquals(Duration.ofMillis(250), s.sandboxCoalesceWindow());
            assertFalse(s.sandboxMixCampaigns());
            assertNull(s.llmBaseUrl());
            assertNull(s.llmCacheJdbcUrl());
            assertEquals("", s.taskQueues());
            assertEquals(Duration.ofDays(30), s.temporalMinRetention());
        }
    }

    @Test
    void setKeysReplaceTheDefaults() {
        Map<String, Object> set = Map.of("autoif.llm.concurrency", "12", "autoif.llm.base-url", "http://llm:8000/v1",
                "autoif.sandbox.coalesce.mix-campaigns", "true", "autoif.sandbox.coalesce.window-ms", "40",
                "autoif.temporal.namespace", "prod", "autoif.llm.cache.jdbc-url", "jdbc:postgresql://db/autoif",
                "autoif.nli.model-dir", "/models/nli", "autoif.task-queues", "autoif-llm", "autoif.data-dir", "/data",
                "autoif.temporal.min-retention", "7d");
        try (ApplicationContext context = ApplicationContext.builder(Environment.CLI).properties(set).start()) {
            AutoifSettings s = context.getBean(AutoifSettings.class);
            assertEquals(12, s.llmConcurrency());
            assertEquals("http://llm:8000/v1", s.llmBaseUrl());
            assertTrue(s.sandboxMixCampaigns());
            assertEquals(Duration.ofMillis(40), s.sandboxCoalesceWindow());
            assertEquals("prod", s.temporalNamespace());
            assertEquals("jdbc:postgresql://db/autoif", s.llmCacheJdbcUrl());
            assertEquals(Path.of("/models/nli"), s.nliModelDir());
            assertEquals("autoif-llm", s.taskQueues());
            assertEquals(Path.of("/data"), s.dataDir());
            assertEquals(Duration.ofDays(7), s.temporalMinRetention());
        }
    }

    @Test
    void variablesNamedAfterAKeyAreReadAndOthersAreNot() {
        assertTrue(WorkerVariables.readByWorker("AUTOIF_LLM_CONCURRENCY"));
        assertTrue(WorkerVariables.readByWorker("AUTOIF_LLM_REQUEST_TIMEOUT_SECONDS"));
        assertTrue(WorkerVariables.readByWorker("AUTOIF_SANDBOX_COALESCE_MIX_CAMPAIGNS"));
        assertTrue(WorkerVariables.readByWorker("AUTOIF_DATA_DIR"));
        assertTrue(WorkerVariables.readByWorker("AUTOIF_TEMPORAL_MIN_RETENTION"));
        assertTrue(WorkerVariables.readByWorker("OPENAI_BASE_URL"));
        assertFalse(WorkerVariables.readByWorker("AUTOIF_LLM_CONCURENCY"));
        assertFalse(WorkerVariables.readByWorker("AUTOIF_VERIFIER_IMAGES"));
    }
}
