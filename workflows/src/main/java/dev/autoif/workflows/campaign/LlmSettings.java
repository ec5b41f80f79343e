package dev.autoif.workflows.campaign;

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
 */
public record LlmSettings(
        String baseUrl,
        String model,
        String apiKeyEnv,
        Double temperature,
        Double topP,
        Integer maxTokens,
        Long seed) {

    public static LlmSettings defaults() {
        return new LlmSettings(null, null, null, null, null, null, null);
    }
}
