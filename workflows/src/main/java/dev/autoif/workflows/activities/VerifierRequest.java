package dev.autoif.workflows.activities;

import dev.autoif.workflows.campaign.LlmSettings;

/** S2: ask the supervision model for {@code samples} verifier completions for one instruction. */
public record VerifierRequest(String campaignId, String instruction, LlmSettings llm, int samples) {}
