package dev.autoif.activities.llm;

import java.time.Duration;

/**
 * The worker's fallbacks for what a campaign's {@code LlmSettings} leave out.
 *
 * @param baseUrl        OpenAI-compatible base URL ending in /v1
 * @param apiKey         key sent as a Bearer token when the campaign names no apiKeyEnv (may be null)
 * @param model          model name
 * @param requestTimeout how long one HTTP request may take (long generations are slow)
 */
public record LlmDefaults(String baseUrl, String apiKey, String model, Duration requestTimeout) {}
