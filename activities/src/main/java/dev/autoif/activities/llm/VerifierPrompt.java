package dev.autoif.activities.llm;

/**
 * The S2 prompt, word for word the reference implementation's, so that completions are
 * comparable with the authors' data (its example's {@code "output": str} is why models sometimes
 * answer string labels; the parser copes).
 */
public final class VerifierPrompt {
    private VerifierPrompt() {}

    public static String forInstruction(String instruction) {
        return "You are an expert for writing evaluation functions in Python to evaluate whether a response strictly follows an instruction.\n"
                + "Here is the instruction: " + instruction + "\n"
                + "Please write a Python function named `evaluate` to evaluate whether an input string `response` follows this instruction. If it follows, simply return True, otherwise return False.\n"
                + "Please response with a single JSON includes the evaluation function in the key `func`, and a list of three test cases in the key `cases`, which includes an input in the key `input` and an expected output in the key `output` in (true, false).\n"
                + "Here is an example of output JSON format: {\"func\": JSON_STR(use only \\n instead of \n), \"cases\": [{\"input\": str, \"output\": str}]}.";
    }
}
