package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.autoif.workflows.activities.llm.VerifierSample;
import java.util.List;
import org.junit.jupiter.api.Test;

/** S1 instruction lists, S4 back-translation lists, S8 judge scores, truncated S2 samples: values or reason codes. */
class LlmParsersTest {

    @Test
    void instructionListTakesDashLinesOnly() {
        ParseResult<List<String>> r = InstructionListParser.parse("""
                Here are new instructions:
                - Answer in exactly three sentences.
                  - Use no commas in your response.
                * not a dash item
                1. not one either
                - "Wrap your entire response in double quotes."
                - Answer in exactly three sentences.
                -
                Hope this helps - really.""");
        assertEquals(List.of("Answer in exactly three sentences.", "Use no commas in your response.",
                "Wrap your entire response in double quotes."), r.value());
        assertEquals("NO_LIST_ITEMS", InstructionListParser.parse("1. a\n2. b").reason());
        assertEquals("EMPTY_COMPLETION", InstructionListParser.parse("  \n").reason());
    }

    @Test
    void instructionListAlsoReadsTheStructuredOutputShape() {
        assertEquals(List.of("Use no commas.", "End with a question."), InstructionListParser.parse(
                "{\"instructions\": [\"Use no commas.\", \"End with a question.\", \"Use no commas.\"]}").value());
        assertEquals("NO_LIST_ITEMS", InstructionListParser.parse("{\"instructions\": 3}").reason());
    }

    @Test
    void backTranslationFindsAListInFencesProseOrAnObject() {
        assertEquals(List.of("a", "b"), BackTranslationParser.parse("```json\n[\"a\", \"b\"]\n```").value());
        assertEquals(List.of("Answer in under 50 words"),
                BackTranslationParser.parse("The function checks [1] this: [\"Answer in under 50 words\"] as you see.").value());
        assertEquals(List.of("x"), BackTranslationParser.parse("```json\n{\"note\": 1}\n```\nthen [\"x\"]").value(),
                "a fenced object does not hide a list in the prose");
        assertEquals(List.of("only"), BackTranslationParser.parse("{\"instructions\": [\"only\"]}").value());
        assertEquals("NOT_STRINGS", BackTranslationParser.parse("[1, 2]").reason());
        assertEquals("EMPTY_LIST", BackTranslationParser.parse("[\" \"]").reason());
        assertEquals("INVALID_JSON", BackTranslationParser.parse("[\"a\", ").reason());
        assertEquals("NOT_A_LIST", BackTranslationParser.parse("{\"a\": 1}").reason());
        assertEquals("EMPTY_COMPLETION", BackTranslationParser.parse("").reason());
    }

    @Test
    void objectsAreFoundAfterProseBracesToo() {
        JsonExtraction.Result r = JsonExtraction.findObject("Use {braces} wisely. {\"func\": \"x\"} trailing }");
        assertEquals("x", r.value().get("func").asText());
    }

    @Test
    void judgeScoreToleratesMarkdownScalesAndTrailingText() {
        assertEquals(8.0, JudgeScoreParser.parse("The response is fine.\nScore: 8").value());
        assertEquals(8.0, JudgeScoreParser.parse("Analysis...\n**Score:** 8\n").value());
        assertEquals(9.0, JudgeScoreParser.parse("Score: **9**").value());
        assertEquals(8.0, JudgeScoreParser.parse("Final score: 8/10. Let me know if you need more.").value());
        assertEquals(8.0, JudgeScoreParser.parse("Score: 4/5").value(), "other scales are read as out of 10");
        assertEquals(7.5, JudgeScoreParser.parse("score = 7.5").value());
        assertEquals(6.0, JudgeScoreParser.parse("A score: 3 would be harsh; but overall...\nScore: 6\nThanks").value(),
                "the last score wins");
        assertEquals("NO_SCORE", JudgeScoreParser.parse("I'd rate it highly.").reason());
        assertEquals("SCORE_OUT_OF_RANGE", JudgeScoreParser.parse("Score: 11").reason());
        assertEquals("EMPTY_COMPLETION", JudgeScoreParser.parse(null).reason());
    }

    @Test
    void truncatedSamplesAreUnusableUnlessKept() {
        String complete = "{\"func\": \"def evaluate(response):\\n    return True\", \"cases\": [{\"input\": \"a\", \"output\": true}]}";
        VerifierSample dropped = VerifierParser.parse(3, new ChatSample(complete, "length"), false);
        assertEquals("length", dropped.finishReason());
        assertFalse(dropped.usable());
        assertEquals("TRUNCATED", dropped.parseError().substring(0, dropped.parseError().indexOf(':')));
        VerifierSample kept = VerifierParser.parse(3, new ChatSample(complete, "length"), true);
        assertEquals(null, kept.parseError());
        assertEquals("length", kept.finishReason());
        assertEquals(null, VerifierParser.parse(3, new ChatSample(complete, "stop"), false).parseError());
    }
}
