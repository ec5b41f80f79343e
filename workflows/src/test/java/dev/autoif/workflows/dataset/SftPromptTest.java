package dev.autoif.workflows.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The S9 prompt rule against the reference's code/9_sft_data_construction.py, case by case. */
class SftPromptTest {

    @Test
    void aQueryWithAQuestionMarkOrFullStopIsJoinedWithASpace() {
        assertEquals("How was the name thinkorswim coined? Limit your response to 20 characters.",
                SftPrompt.reference("how was the name thinkorswim coined?", "limit your response to 20 characters"));
        assertEquals("Write me a joke about Noah. Write in a single paragraph.",
                SftPrompt.reference("write me a joke about Noah.", "Write in a single paragraph"));
        // "." anywhere in the query counts, as in the reference (`"." in query`)
        assertEquals("Explain node.js event loop Answer in one sentence.",
                SftPrompt.reference("explain node.js event loop", "answer in one sentence"));
    }

    @Test
    void aQueryWithoutOneIsClosedWithAFullStop() {
        assertEquals("What is the best mbti. Keep your response under twenty-five words without exception.",
                SftPrompt.reference("what is the best mbti", "Keep your response under twenty-five words without exception"));
    }

    @Test
    void nothingIsStrippedAndTheFullStopIsAlwaysAppendedAsInTheReference() {
        assertEquals("Hi there . Use no commas..", SftPrompt.reference("hi there ", "use no commas."));
        assertEquals(" hello. Be brief.", SftPrompt.reference(" hello", "be brief"));
    }

    @Test
    void capitalisationFollowsPython() {
        assertEquals("SSpaß. Über alles.", SftPrompt.reference("ßpaß", "über alles")); // "ß".upper() == "SS"
        assertEquals("1 + 1? Answer in digits.", SftPrompt.reference("1 + 1?", "answer in digits"));
        assertEquals(". X.", SftPrompt.reference("", "x"));
    }
}
