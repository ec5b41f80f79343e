package dev.autoif.activities.llm;

/** S8: the quality judge's prompt. The answer must end with a last line {@code Score: N}, N from 0 to 10. */
public final class QualityJudgePrompt {
    public static final String OPENING = "You are judging a response written under an instruction.";
    public static final String INSTRUCTION = "\n[Instruction] ";
    public static final String QUERY = "\n[Query] ";
    public static final String RESPONSE = "\n[Response] ";

    private QualityJudgePrompt() {}

    public static String of(String instruction, String query, String response) {
        return OPENING + " First analyse whether the response answers the query helpfully and correctly while strictly"
                + " following the instruction. Then rate it from 0 (useless or ignores the instruction) to 10 (answers"
                + " the query and follows the instruction perfectly). End your answer with a last line of the form"
                + " \"Score: N\"." + INSTRUCTION + instruction + QUERY + query + RESPONSE + response;
    }
}
