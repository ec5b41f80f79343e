package dev.autoif.workflows.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.activities.llm.LlmSettings;
import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnlineDpoConfigTest {
    static LlmSettings model(String name, Double temperature, Long seed) {
        return new LlmSettings("http://gpu:8000/v1", name, null, temperature, null, null, seed);
    }

    @Test
    void defaultsAndPerRoundSamplingSeeds() {
        OnlineDpoConfig c = OnlineDpoConfig.from(new OnlineDpoInput("/data/c1/", List.of(
                new DpoRoundSpec(model("policy", null, null)), new DpoRoundSpec(model("policy", 1.0, 5L))), null, null,
                new TrainingCommand(List.of("train.sh"), null, null, null), null, 10L, null, null, null, null));
        assertEquals("/data/c1/online-dpo", c.outputDir());
        assertEquals("/data/c1/online-dpo/round-2", c.roundDir(2));
        assertEquals(8, c.samplesPerPrompt());
        assertEquals(720, c.training().timeoutMinutes());
        // Round 1 takes the input's temperature and a seed of its own (same endpoint and model: no cache replay).
        assertEquals(0.8, c.policies().get(0).temperature());
        assertEquals(10L + OnlineDpoConfig.ROUND_SEED_STRIDE, c.policies().get(0).seed());
        // Round 2 keeps what its policy says.
        assertEquals(1.0, c.policies().get(1).temperature());
        assertEquals(5L, c.policies().get(1).seed());
    }

    @Test
    void messagesNameTheField() {
        var e = assertThrows(IllegalArgumentException.class, () -> OnlineDpoConfig.from(new OnlineDpoInput("/c",
                List.of(new DpoRoundSpec(null)), null, null, new TrainingCommand(List.of("t"), null, null, null), null,
                null, null, null, null, null)));
        assertTrue(e.getMessage().contains("'rounds[0].policy'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OnlineDpoConfig.from(new OnlineDpoInput("/c",
                List.of(new DpoRoundSpec(model("p", null, null))), null, null,
                new TrainingCommand(List.of("t"), 0, null, null), null, null, null, null, null, null)));
        assertTrue(e.getMessage().contains("'training.timeoutMinutes'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OnlineDpoConfig.from(new OnlineDpoInput(null,
                List.of(), null, null, null, null, null, null, null, null, null)));
        assertTrue(e.getMessage().contains("'campaignDir'"), e.getMessage());
    }

    @Test
    void passRateCountsAbstentionsAndBrokenFunctionsAsNotPassing() {
        Cell yes = new Cell(true, "bool", null, false);
        Cell no = new Cell(false, "bool", null, false);
        Cell abstained = new Cell(null, null, "ValueError: x", false);
        List<FunctionEvaluation> rows = List.of(
                new FunctionEvaluation(null, List.of(yes, yes, abstained)),
                new FunctionEvaluation(null, List.of(yes, no, no)),
                new FunctionEvaluation("SyntaxError", List.of()),
                new FunctionEvaluation(null, List.of(yes, abstained, no)));
        assertArrayEquals(new double[] {0.75, 0.25, 0.0}, DpoScoring.passRates(rows, 3), 1e-12);
    }
}
