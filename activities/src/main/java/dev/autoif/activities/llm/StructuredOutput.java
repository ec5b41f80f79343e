package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.workflows.activities.llm.LlmSettings;

/**
 * The JSON schemas sent as {@code response_format} to endpoints with structured output (OpenAI, vLLM's guided
 * decoding, llama.cpp's grammar), for the stages whose answer is JSON. The prompts stay the reference's; the parsers
 * read these shapes as well as free text.
 */
final class StructuredOutput {
    /**
     * S2's {@code func}: a one-line Python definition of {@code evaluate(response)}, statements separated by "; ",
     * ending in a return ({@code def evaluate(response): words = response.split(); return len(words) == 3}). One line
     * and free of quotes, backslashes and control characters, because those are what JSON escapes: engines that
     * match a pattern against the JSON text (llama.cpp's grammar, vLLM) and those that match the decoded string
     * (OpenAI) then read it alike, and the model can only close the string where a function ends.
     */
    static final String FUNC_PATTERN =
            "^def evaluate\\(response\\): ([^\"\\\\;\\x00-\\x1F]+; )*return [^\"\\\\\\x00-\\x1F]+$";

    /** S2's case inputs: one line, for the same reason (a free string lets llama.cpp's grammar emit raw newlines). */
    static final String INPUT_PATTERN = "^[^\"\\\\\\x00-\\x1F]*$";

    /**
     * S2: the function and its test cases, as {@link VerifierParser} reads them: {@code func} as above, and the three
     * cases the prompt asks for, each a string input (as above) and a boolean output, nothing else.
     */
    static final String VERIFIER = verifierSchema();

    /** S1 and S4: a list of instructions, as {@link InstructionListParser} and {@link BackTranslationParser} read it. */
    static final String INSTRUCTIONS = """
            {"type": "object", "properties": {
              "instructions": {"type": "array", "items": {"type": "string"}}},
             "required": ["instructions"]}""";

    private StructuredOutput() {}

    private static String verifierSchema() {
        ObjectNode schema = JsonNodeFactory.instance.objectNode().put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        properties.putObject("func").put("type", "string").put("pattern", FUNC_PATTERN);
        ObjectNode cases = properties.putObject("cases").put("type", "array").put("minItems", 3).put("maxItems", 3);
        ObjectNode item = cases.putObject("items").put("type", "object");
        ObjectNode itemProperties = item.putObject("properties");
        itemProperties.putObject("input").put("type", "string").put("pattern", INPUT_PATTERN);
        itemProperties.putObject("output").put("type", "boolean");
        item.putArray("required").add("input").add("output");
        item.put("additionalProperties", false);
        schema.putArray("required").add("func").add("cases");
        schema.put("additionalProperties", false);
        return schema.toString();
    }

    /** The schema to send under the role's setting ({@code off}: none). */
    static ChatCall.ResponseSchema forSetting(LlmSettings settings, String name, String schemaJson) {
        String mode = settings == null ? LlmSettings.STRUCTURED_AUTO : settings.structuredOutputOrDefault();
        return switch (mode) {
            case LlmSettings.STRUCTURED_OFF -> null;
            case LlmSettings.STRUCTURED_JSON_SCHEMA -> new ChatCall.ResponseSchema(name, schemaJson, false);
            default -> new ChatCall.ResponseSchema(name, schemaJson, true);
        };
    }
}
