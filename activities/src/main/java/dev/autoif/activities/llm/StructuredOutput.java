package dev.autoif.activities.llm;

import dev.autoif.workflows.campaign.LlmSettings;

/**
 * The JSON schemas sent as {@code response_format} to endpoints with structured output (OpenAI, vLLM's guided
 * decoding, llama.cpp's grammar), for the stages whose answer is JSON. The prompts stay the reference's; the parsers
 * read these shapes as well as free text.
 */
final class StructuredOutput {
    /** S2: the function and its test cases, as {@link VerifierParser} reads them. */
    static final String VERIFIER = """
            {"type": "object", "properties": {
              "func": {"type": "string"},
              "cases": {"type": "array", "items": {"type": "object", "properties": {
                "input": {"type": "string"}, "output": {"type": "boolean"}}, "required": ["input", "output"]}}},
             "required": ["func", "cases"]}""";

    /** S1 and S4: a list of instructions, as {@link InstructionListParser} and {@link BackTranslationParser} read it. */
    static final String INSTRUCTIONS = """
            {"type": "object", "properties": {
              "instructions": {"type": "array", "items": {"type": "string"}}},
             "required": ["instructions"]}""";

    private StructuredOutput() {}

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
