package dev.autoif.activities.llm;

/** One choice of a chat completion: its text and why generation stopped (null when the endpoint did not say). */
public record ChatSample(String content, String finishReason) {}
