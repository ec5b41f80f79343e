package dev.autoif.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.llm.NliJudgement;
import dev.autoif.workflows.activities.store.ResponseRecord;
import dev.autoif.workflows.activities.llm.ResponseRequest;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.activities.llm.NliLabel;
import dev.autoif.workflows.activities.llm.ConsistencyMode;
import dev.autoif.workflows.instruction.InstructionTask;
import dev.autoif.workflows.instruction.ResponseStageSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fields renamed in Java keep the JSON names that recorded histories and earlier workers use: a payload written
 * before the rename reads the same, and one written now is read by an older worker.
 */
class WireNamesTest {
    private final ObjectMapper wire = WireFormat.internalObjectMapper();

    @Test
    void responseStageBarsKeepTheirWireNames() throws Exception {
        ResponseStageSettings old = wire.readValue("{\"queriesPerInstruction\": 16, \"minPassRate\": 0.5, "
                + "\"minJudgeScore\": 8.0}", ResponseStageSettings.class);
        assertEquals(0.5, old.passRateAbove());
        assertEquals(8.0, old.judgeScoreAbove());
        String written = wire.writeValueAsString(old);
        assertTrue(written.contains("\"minPassRate\":0.5") && written.contains("\"minJudgeScore\":8.0"), written);
    }

    @Test
    void nliLabelsCrossTheWireAsTheStringsTheyWere() throws Exception {
        NliJudgement old = wire.readValue("{\"hypothesis\": \"h\", \"label\": \"CONTRADICTION\"}", NliJudgement.class);
        assertEquals(NliLabel.CONTRADICTION, old.label());
        assertEquals("{\"hypothesis\":\"h\",\"label\":\"NEUTRAL\",\"note\":null}",
                wire.writeValueAsString(new NliJudgement("h", NliLabel.NEUTRAL, null)));
    }

    @Test
    void consistencyModesCrossTheWireAsTheLowerCaseStringsTheyWere() throws Exception {
        InstructionTask old = wire.readValue("{\"instruction\": \"i\", \"consistency\": \"onnx\"}", InstructionTask.class);
        assertEquals(ConsistencyMode.ONNX, old.consistency());
        assertNull(wire.readValue("{\"instruction\": \"i\"}", InstructionTask.class).consistency());
        assertEquals("\"none\"", wire.writeValueAsString(ConsistencyMode.NONE));
    }

    @Test
    void dropReasonsInRecordsAreTheNamesTheyWere() throws Exception {
        assertEquals(DropReason.TOO_FEW_CASES, wire.readValue("{\"dropReason\": \"TOO_FEW_CASES\"}",
                InstructionRecord.class).dropReason());
        ResponseRecord response = wire.readValue("{\"text\": \"t\", \"dropReason\": \"BELOW_PASS_RATE\"}",
                ResponseRecord.class);
        assertEquals(ResponseDropReason.BELOW_PASS_RATE, response.dropReason());
        assertTrue(wire.writeValueAsString(response).contains("\"dropReason\":\"BELOW_PASS_RATE\""));
    }

    @Test
    void rolesAndStagesCrossTheWireAsTheStringsTheyWere() throws Exception {
        LlmUsage old = wire.readValue("{\"stage\": \"S8\", \"role\": \"judge\", \"model\": \"m\", \"completions\": 2}",
                LlmUsage.class);
        assertEquals(Stage.S8, old.stage());
        assertEquals(LlmRole.JUDGE, old.role());
        String written = wire.writeValueAsString(old);
        assertTrue(written.startsWith("{\"stage\":\"S8\",\"role\":\"judge\",\"model\":\"m\","), written);
        assertEquals("S8/judge/m", old.key(), "usage merges and sorts by the wire names, as before");

        VerifierRequest verifiers = wire.readValue("{\"instruction\": \"i\", \"samples\": 8, \"role\": \"supervision\", "
                + "\"stage\": \"S2\"}", VerifierRequest.class);
        assertEquals(List.of(LlmRole.SUPERVISION, Stage.S2), List.of(verifiers.role(), verifiers.stage()));
        ResponseRequest responses = new ResponseRequest("c", "p", null, 4, LlmRole.POLICY, Stage.D1);
        String json = wire.writeValueAsString(responses);
        assertTrue(json.contains("\"role\":\"policy\",\"stage\":\"D1\""), json);
        assertEquals(responses, wire.readValue(json, ResponseRequest.class));
    }
}
