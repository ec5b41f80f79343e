package dev.autoif.workflows.activities.llm;

/**
 * Endpoint and sampling settings for one model role. Every field is optional: what is left out
 * comes from the worker's configuration (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL).
 *
 * @param baseUrl        OpenAI-compatible base URL, e.g. http://localhost:8000/v1
 * @param model          model name as the endpoint knows it
 * @param apiKeyEnv      name of the worker's environment variable holding the API key (never the key itself:
 *                       workflow inputs are visible in the UI)
 * @param temperature    sampling temperature
 * @param topP           nucleus sampling
 * @param maxTokens      completion token cap
 * @param seed           base sampling seed; sample i is requested with seed + i
 * @param structuredOutput for the stages whose answer is JSON (S1 instruction list, S2 func + cases, S4 statements):
 *                       {@code off} (plain prompt), {@code json_schema} (always send {@code response_format} with
 *                       the stage's JSON schema), or {@code auto} (the default when absent: send it, and if the endpoint
 *                       rejects it, remember that for the endpoint and send plain prompts from then on). The parsers
 *                       stay as tolerant either way, for endpoints that accept the field but ignore it.
 */
public record LlmSettings(
        String baseUrl,
        String model,
        String apiKeyEnv,
        Double temperature,
        Double topP,
        Integer maxTokens,
        Long seed,
        String structuredOutput) {

    public static final String STRUCTURED_OFF = "off";
    public static final String STRUCTURED_JSON_SCHEMA = "json_schema";
    public static final String STRUCTURED_AUTO = "auto";

    /** Settings without a structured-output choice (the default, {@code auto}). */
    public LlmSettings(String baseUrl, String model, String apiKeyEnv, Double temperature, Double topP, Integer maxTokens,
                       Long seed) {
        this(baseUrl, model, apiKeyEnv, temperature, topP, maxTokens, seed, null);
    }

    public static LlmSettings defaults() {
        return new LlmSettings(null, null, null, null, null, null, null, null);
    }

    /** {@link #structuredOutput} with its default filled in. */
    public String structuredOutputOrDefault() {
        return structuredOutput == null ? STRUCTURED_AUTO : structuredOutput;
    }
}
