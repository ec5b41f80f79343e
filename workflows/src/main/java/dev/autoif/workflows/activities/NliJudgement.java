package dev.autoif.workflows.activities;

/**
 * One natural-language-inference judgement.
 *
 * @param label ENTAILMENT, NEUTRAL or CONTRADICTION
 * @param note  for the LLM judge, why the label is a fallback (an unreadable judge answer reads as NEUTRAL), null
 *              otherwise; for the ONNX NLI judge, the model's class probabilities
 */
public record NliJudgement(String hypothesis, String label, String note) {
    public static final String ENTAILMENT = "ENTAILMENT";
    public static final String NEUTRAL = "NEUTRAL";
    public static final String CONTRADICTION = "CONTRADICTION";
}
