package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.nli.EntailmentJudge;
import dev.autoif.workflows.activities.llm.NliLabel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlmEntailmentJudgeTest {

    @Test
    void readsTheLabelLeniently() {
        assertEquals(NliLabel.ENTAILMENT, LlmEntailmentJudge.parse("ENTAILMENT").label());
        assertEquals(NliLabel.CONTRADICTION, LlmEntailmentJudge.parse("Contradiction.").label());
        assertEquals(NliLabel.ENTAILMENT, LlmEntailmentJudge.parse("The premise entails the hypothesis").label());
        assertEquals(NliLabel.NEUTRAL, LlmEntailmentJudge.parse("**neutral**").label());
        assertNull(LlmEntailmentJudge.parse("contradicts").note());
    }

    @Test
    void anUnreadableAnswerIsNeutralWithAReason() {
        EntailmentJudge.Verdict none = LlmEntailmentJudge.parse("I cannot tell.");
        assertEquals(NliLabel.NEUTRAL, none.label());
        assertTrue(none.note().startsWith("no label"), none.note());
        EntailmentJudge.Verdict both = LlmEntailmentJudge.parse("Not a contradiction but entailment");
        assertEquals(NliLabel.NEUTRAL, both.label());
        assertTrue(both.note().contains("several labels"), both.note());
        assertEquals(NliLabel.NEUTRAL, LlmEntailmentJudge.parse(null).label());
    }

    @Test
    void asksWithPremiseAndHypothesisOnOneLineEach() {
        List<String> prompts = new ArrayList<>();
        EntailmentJudge judge = new LlmEntailmentJudge(p -> {
            prompts.add(p);
            return "CONTRADICTION";
        });
        assertEquals(NliLabel.CONTRADICTION, judge.judge("Answer in French", "Answer\nin English").label());
        assertTrue(prompts.get(0).startsWith(LlmEntailmentJudge.OPENING));
        assertTrue(prompts.get(0).endsWith("\nPremise: Answer in French\nHypothesis: Answer in English"), prompts.get(0));
    }

    @Test
    void theBackTranslationPromptShowsOnlyTheFunctionLast() {
        String func = "def evaluate(response):\n    return response.isupper()";
        String prompt = BackTranslationPrompt.forFunction(func);
        assertTrue(prompt.startsWith(BackTranslationPrompt.OPENING));
        assertTrue(prompt.endsWith(BackTranslationPrompt.FUNCTION_MARKER + func));
    }
}
