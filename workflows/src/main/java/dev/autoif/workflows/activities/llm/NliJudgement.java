package dev.autoif.workflows.activities.llm;

/**
 * One natural-language-inference judgement.
 *
 * @param label on the wire the label's name (ENTAILMENT, NEUTRAL or CONTRADICTION)
 * @param note  for the LLM judge, why the label is a fallback (an unreadable judge answer reads as NEUTRAL), null
 *              otherwise; for the ONNX NLI judge, the model's class probabilities
 */
public record NliJudgement(String hypothesis, NliLabel label, String note) {}
