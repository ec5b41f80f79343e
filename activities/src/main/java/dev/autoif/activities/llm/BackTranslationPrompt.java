package dev.autoif.activities.llm;

/**
 * The S4 prompt: only the function, never the instruction it was written for, so the answer says what the
 * function actually checks. The function comes last so that it can be read back verbatim.
 */
public final class BackTranslationPrompt {
    /** How the scripted LLM recognises the prompt. */
    public static final String OPENING = "You are an expert in reading Python evaluation functions and stating the instruction they check.";
    public static final String FUNCTION_MARKER = "Here is the function:\n";

    private BackTranslationPrompt() {}

    public static String forFunction(String func) {
        return OPENING + "\n"
                + "The function `evaluate(response)` returns True when a response follows an instruction. "
                + "State that instruction as a user would write it. Answer with a JSON list of strings only, "
                + "one instruction per item, e.g. [\"Answer in fewer than 50 words.\"].\n"
                + FUNCTION_MARKER + func;
    }
}
