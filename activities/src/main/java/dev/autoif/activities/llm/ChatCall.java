package dev.autoif.activities.llm;

import java.util.List;

/**
 * A fully resolved chat-completion request (no defaults left to fill).
 *
 * @param seed   sampling seed for the first choice; see {@link LlmGateway} for how samples map to seeds
 * @param schema the JSON schema to ask for with {@code response_format}, or null for a plain prompt
 */
public record ChatCall(String baseUrl, String apiKey, String model, List<Message> messages,
                       Double temperature, Double topP, Integer maxTokens, long seed, ResponseSchema schema) {

    /** A plain call (no structured output). */
    public ChatCall(String baseUrl, String apiKey, String model, List<Message> messages,
                    Double temperature, Double topP, Integer maxTokens, long seed) {
        this(baseUrl, apiKey, model, messages, temperature, topP, maxTokens, seed, null);
    }

    public record Message(String role, String content) {}

    /**
     * {@code response_format: {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}}.
     *
     * @param schemaJson the schema as JSON text
     * @param fallback   true ({@code auto}): an endpoint that rejects the field gets the plain prompt instead, and is
     *                   remembered as one without structured output; false ({@code json_schema}): the rejection fails
     *                   the call
     */
    public record ResponseSchema(String name, String schemaJson, boolean fallback) {}

    public ChatCall withSeed(long newSeed) {
        return new ChatCall(baseUrl, apiKey, model, messages, temperature, topP, maxTokens, newSeed, schema);
    }

    public ChatCall withoutSchema() {
        return new ChatCall(baseUrl, apiKey, model, messages, temperature, topP, maxTokens, seed, null);
    }
}
