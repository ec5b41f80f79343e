package dev.autoif.activities.llm;

/**
 * S5's natural-language-inference judgement: does the premise (the instruction) entail the hypothesis (a
 * back-translation of one of its functions), contradict it, or neither? Pluggable: the campaign's
 * {@code consistency} field chooses the implementation.
 */
public interface EntailmentJudge {
    enum Label { ENTAILMENT, NEUTRAL, CONTRADICTION }

    /** @param note why the label is a fallback rather than the judge's answer, null when it is the answer */
    record Verdict(Label label, String note) {}

    Verdict judge(String premise, String hypothesis);
}
