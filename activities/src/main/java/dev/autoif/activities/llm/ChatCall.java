package dev.autoif.activities.llm;

import java.util.List;

/**
 * A fully resolved chat-completion request (no defaults left to fill).
 *
 * @param seed sampling seed for the first choice; see {@link LlmGateway} for how samples map to seeds
 */
public record ChatCall(String baseUrl, String apiKey, String model, List<Message> messages,
                       Double temperature, Double topP, Integer maxTokens, long seed) {

    public record Message(String role, String content) {}
}
