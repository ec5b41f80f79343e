package dev.autoif.activities.llm;

import java.util.List;

/**
 * The parts of an OpenAI chat-completion response the product uses.
 *
 * @param usageReported false when the body had no {@code usage} block (the token counts are then 0)
 */
public record ChatResponse(List<ChatSample> choices, long promptTokens, long completionTokens, boolean usageReported) {

    public ChatResponse(List<ChatSample> choices, long promptTokens, long completionTokens) {
        this(choices, promptTokens, completionTokens, true);
    }
}
