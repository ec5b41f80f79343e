package dev.autoif.workflows.crossval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.DropReason;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CrossValidationTest {
    private static final Cell T = new Cell(true, "bool", null, false);
    private static final Cell F = new Cell(false, "bool", null, false);
    private static final Cell TIMEOUT = new Cell(null, null, "timeout after 5.0 s", true);
    private static final Cell INT = new Cell(null, "int", null, false);

    /** Ten cases: inputs c0..c9; labels alternate true/false. */
    private static final List<TestCase> CASES = new ArrayList<>();
    private static final Map<String, Integer> INDEX = new LinkedHashMap<>();

    static {
        for (int i = 0; i < 10; i++) {
            CASES.add(new TestCase("c" + i, i % 2 == 0));
            INDEX.put("c" + i, i);
        }
    }

    private static FunctionEvaluation perfect() {
        List<Cell> cells = new ArrayList<>();
        for (TestCase c : CASES) cells.add(c.label() ? T : F);
        return new FunctionEvaluation(null, cells);
    }

    /** Right on the first {@code right} cases, wrong (or abstaining) afterwards. */
    private static FunctionEvaluation rightOn(int right, Cell wrongCell) {
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            boolean label = CASES.get(i).label();
            cells.add(i < right ? (label ? T : F) : wrongCell != null ? wrongCell : (label ? F : T));
        }
        return new FunctionEvaluation(null, cells);
    }

    private static FunctionEvaluation broken() {
        return new FunctionEvaluation("SyntaxError: invalid syntax", List.of());
    }

    @Test
    void referenceKeepsFunctionsAtExactlyEightyPercent() {
        var rows = List.of(perfect(), rightOn(8, null), rightOn(7, null));
        var r = CrossValidation.decide(Preset.REFERENCE.crossValidation(), rows, INDEX, CASES);
        assertNull(r.dropReason());
        assertEquals(List.of(0, 1), r.keptFunctions(), "0.8 is inclusive under the reference preset, 0.7 is not");
        assertEquals(10, r.keptCases().size(), "a perfect function reproduces every label");
        assertEquals(0.7, r.accuracies().get(2), 1e-9);
    }

    @Test
    void abstentionsCountAsWrong() {
        var rows = List.of(perfect(), rightOn(5, TIMEOUT), rightOn(5, INT));
        var r = CrossValidation.decide(Preset.REFERENCE.crossValidation(), rows, INDEX, CASES);
        assertEquals(List.of(0), r.keptFunctions());
        assertEquals(0.5, r.accuracies().get(1), 1e-9);
        assertEquals(0.5, r.accuracies().get(2), 1e-9);
    }

    @Test
    void referenceGatesOnDistinctUsableFunctionsAndCases() {
        var twoUsable = List.of(perfect(), perfect(), broken());
        assertEquals(DropReason.TOO_FEW_FUNCTIONS,
                CrossValidation.decide(Preset.REFERENCE.crossValidation(), twoUsable, INDEX, CASES).dropReason());
        assertEquals(DropReason.NO_USABLE_FUNCTION,
                CrossValidation.decide(Preset.REFERENCE.crossValidation(), List.of(broken(), broken()), INDEX, CASES).dropReason());
        var threeUsable = List.of(perfect(), perfect(), perfect());
        assertEquals(DropReason.TOO_FEW_CASES,
                CrossValidation.decide(Preset.REFERENCE.crossValidation(), threeUsable, INDEX, CASES.subList(0, 9)).dropReason());
        // The paper's gate is one function and one case.
        assertTrue(CrossValidation.decide(Preset.PAPER.crossValidation(), List.of(perfect()), INDEX, CASES.subList(0, 1)).kept());
    }

    @Test
    void paperNeedsAMajorityForACaseAndStrictlyMoreThanHalfAccuracy() {
        // Function 0 is always right, 1 and 2 always wrong: no case has a majority.
        var rows = List.of(perfect(), rightOn(0, null), rightOn(0, null));
        assertEquals(DropReason.NO_CASE_SURVIVES,
                CrossValidation.decide(Preset.PAPER.crossValidation(), rows, INDEX, CASES).dropReason());
        // Under the reference rules (any agreeing function) the same matrix keeps function 0 only.
        var reference = CrossValidation.decide(Preset.REFERENCE.crossValidation(), rows, INDEX, CASES);
        assertEquals(List.of(0), reference.keptFunctions());

        // Two right on 0..4, one right everywhere: cases 0..4 have 3/3, cases 5..9 have 1/3 -> only 0..4 kept.
        var rows2 = List.of(rightOn(5, null), rightOn(5, null), perfect());
        var paper = CrossValidation.decide(Preset.PAPER.crossValidation(), rows2, INDEX, CASES);
        assertEquals(List.of(0, 1, 2, 3, 4), paper.keptCases());
        assertEquals(List.of(0, 1, 2), paper.keptFunctions());
    }

    @Test
    void noFunctionReachingTheBarDropsTheInstruction() {
        var rows = List.of(rightOn(7, null), rightOn(6, null), rightOn(5, null));
        var r = CrossValidation.decide(Preset.REFERENCE.crossValidation(), rows, INDEX, CASES);
        // Any-agree keeps cases 0..6; accuracies 7/7, 6/7 (0.857), 5/7 (0.714).
        assertEquals(List.of(0, 1), r.keptFunctions());
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), r.keptCases());
        // Each case is reproduced by someone, so all are kept, but nobody is right on more than half.
        var wrongRows = List.of(rightOn(3, null), alternating(0), alternating(1));
        var dropped = CrossValidation.decide(Preset.REFERENCE.crossValidation(), wrongRows, INDEX, CASES);
        assertEquals(DropReason.NO_FUNCTION_REACHES_BAR, dropped.dropReason());
    }

    /** Right on the cases whose index has the given parity only. */
    private static FunctionEvaluation alternating(int parity) {
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            boolean label = CASES.get(i).label();
            cells.add(i % 2 == parity ? (label ? T : F) : (label ? F : T));
        }
        return new FunctionEvaluation(null, cells);
    }
}
