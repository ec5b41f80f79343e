package dev.autoif.workflows.activities.llm;

/** S4: ask the supervision model which instruction {@code func} checks. */
public record BackTranslationRequest(String campaignId, String func, LlmSettings llm) {}
