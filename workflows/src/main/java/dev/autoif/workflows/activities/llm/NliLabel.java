package dev.autoif.workflows.activities.llm;

/** A natural-language-inference label: does the premise entail the hypothesis, contradict it, or neither. */
public enum NliLabel {
    // The ONNX judge indexes its class probabilities by ordinal: keep this order.
    ENTAILMENT, NEUTRAL, CONTRADICTION
}
