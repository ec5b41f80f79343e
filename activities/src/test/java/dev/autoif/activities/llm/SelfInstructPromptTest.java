package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SelfInstructPromptTest {
    @Test
    void listsEverySeedAndTheFiveNegativeExamplesAsItems() {
        List<String> seeds = List.of("Answer with words that begin with the letter 'B'", "Use only palindromes");
        String prompt = SelfInstructPrompt.forSeeds(seeds);
        assertTrue(prompt.startsWith(SelfInstructPrompt.OPENING), "the scripted LLM recognises S1 by its opening");
        assertTrue(prompt.contains("50 new instructions") && prompt.contains("format") && prompt.contains("Python function"));
        for (String seed : seeds) {
            assertTrue(prompt.contains("\n- " + seed + "\n"), seed);
        }
        for (String negative : List.of("historical figure", "Pig Latin", "food", "metaphors", "Shakespeare")) {
            assertTrue(prompt.contains(negative), negative);
        }
        // The prompt's own items are seeds and negatives only: parsing it as an answer yields exactly those.
        assertEquals(seeds.size() + 5, InstructionListParser.parse(prompt).value().size());
    }
}
