package dev.autoif.workflows.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.llm.LlmSettings;
import org.junit.jupiter.api.Test;

/** A role's structuredOutput crosses the wire (workflow input JSON) and is checked. */
class LlmSettingsWireTest {
    @Test
    void structuredOutputIsReadFromTheCampaignJsonAndDefaultsToAuto() throws Exception {
        LlmSettings off = WireFormat.objectMapper().readValue("{\"maxTokens\": 5, \"structuredOutput\": \"off\"}",
                LlmSettings.class);
        assertEquals("off", off.structuredOutput());
        assertEquals(5, off.maxTokens());
        LlmSettings absent = WireFormat.objectMapper().readValue("{\"maxTokens\": 5}", LlmSettings.class);
        assertNull(absent.structuredOutput());
        assertEquals(LlmSettings.STRUCTURED_AUTO, absent.structuredOutputOrDefault());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CampaignConfig.role("supervision", new LlmSettings(null, null, null, null, null, null, null, "yes")));
        assertTrue(e.getMessage().contains("'supervision.structuredOutput' must be off, json_schema or auto"), e.getMessage());
    }
}
