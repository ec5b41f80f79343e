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
     * A JSON schema for {@code response_format}, in one of two dialects: {@link #JSON_SCHEMA}, OpenAI's
     * {@code {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}} (OpenAI, vLLM, llama.cpp's own
     * server), or {@link #JSON_OBJECT}, {@code {"type": "json_object", "schema": schema}} (llama-cpp-python's server,
     * which rejects the first).
     *
     * @param schemaJson the schema as JSON text
     * @param fallback   true ({@code auto}): an endpoint that rejects both dialects gets the plain prompt instead, and
     *                   is remembered as one without structured output; false ({@code json_schema}): that fails the call
     * @param dialect    {@link #JSON_SCHEMA} or {@link #JSON_OBJECT}
     */
    public record ResponseSchema(String name, String schemaJson, boolean fallback, String dialect) {
        public static final String JSON_SCHEMA = "json_schema";
        public static final String JSON_OBJECT = "json_object";

        public ResponseSchema(String name, String schemaJson, boolean fallback) {
            this(name, schemaJson, fallback, JSON_SCHEMA);
        }

        public ResponseSchema inDialect(String other) {
            return new ResponseSchema(name, schemaJson, fallback, other);
        }
    }

    public ChatCall withSchema(ResponseSchema newSchema) {
        return new ChatCall(baseUrl, apiKey, model, messages, temperature, topP, maxTokens, seed, newSchema);
    }

    public ChatCall withSeed(long newSeed) {
        return new ChatCall(baseUrl, apiKey, model, messages, temperature, topP, maxTokens, newSeed, schema);
    }

    public ChatCall withoutSchema() {
        return new ChatCall(baseUrl, apiKey, model, messages, temperature, topP, maxTokens, seed, null);
    }
}
