package dev.autoif.activities.llm;

/** One choice of a chat completion: its text and why generation stopped. */
public record ChatSample(String content, String finishReason) {}
