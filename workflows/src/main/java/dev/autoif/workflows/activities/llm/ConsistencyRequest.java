package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * S5: judge each hypothesis (a back-translated instruction) against the premise (the instruction).
 *
 * @param judgeKind which entailment judge (LLM or ONNX; on the wire "llm" or "onnx")
 * @param judge     the model settings of an LLM judge
 */
public record ConsistencyRequest(String campaignId, ConsistencyMode judgeKind, String premise, List<String> hypotheses,
                                 LlmSettings judge) {}
