package dev.autoif.workflows.activities;

import dev.autoif.workflows.campaign.LlmSettings;
import java.util.List;

/**
 * S5: judge each hypothesis (a back-translated instruction) against the premise (the instruction).
 *
 * @param judgeKind which entailment judge ("llm")
 * @param judge     the model settings of an LLM judge
 */
public record ConsistencyRequest(String campaignId, String judgeKind, String premise, List<String> hypotheses,
                                 LlmSettings judge) {}
