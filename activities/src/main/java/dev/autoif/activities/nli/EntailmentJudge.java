package dev.autoif.activities.nli;

import dev.autoif.activities.llm.LlmEntailmentJudge;
import dev.autoif.workflows.activities.llm.NliLabel;
import java.util.ArrayList;
import java.util.List;

/**
 * S5's natural-language-inference judgement: does the premise (the instruction) entail the hypothesis (a
 * back-translation of one of its functions), contradict it, or neither? Pluggable: the campaign's
 * {@code consistency} field chooses the implementation ({@link LlmEntailmentJudge} for "llm",
 * {@link dev.autoif.activities.nli.OnnxEntailmentJudge} for "onnx").
 */
public interface EntailmentJudge {
    /**
     * @param note for the LLM judge, why the label is a fallback rather than the judge's answer (null when it is the
     *             answer); for the ONNX judge, the class probabilities
     */
    record Verdict(NliLabel label, String note) {}

    Verdict judge(String premise, String hypothesis);

    /** One verdict per hypothesis, in order; a judge that can batch the pairs overrides this. */
    default List<Verdict> judgeAll(String premise, List<String> hypotheses) {
        List<Verdict> verdicts = new ArrayList<>(hypotheses.size());
        for (String h : hypotheses) {
            verdicts.add(judge(premise, h));
        }
        return verdicts;
    }
}
