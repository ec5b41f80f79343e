package dev.autoif.workflows.dpo;

import dev.autoif.workflows.activities.llm.LlmSettings;

/** One online DPO iteration: {@code policy} is the endpoint and model name serving that round's policy. */
public record DpoRoundSpec(LlmSettings policy) {}
