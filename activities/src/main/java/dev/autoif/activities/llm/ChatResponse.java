package dev.autoif.activities.llm;

import java.util.List;

/** The parts of an OpenAI chat-completion response the product uses. */
public record ChatResponse(List<ChatSample> choices, long promptTokens, long completionTokens) {}
