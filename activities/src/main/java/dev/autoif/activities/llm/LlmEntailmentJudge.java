package dev.autoif.activities.llm;

import dev.autoif.activities.nli.EntailmentJudge;
import dev.autoif.workflows.activities.llm.NliLabel;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@link EntailmentJudge} that asks a model for one of the three labels, one cached completion per pair. Its
 * answer is read leniently ("Contradiction.", "entails", "**NEUTRAL**"); an answer naming no label or several
 * reads as NEUTRAL with a note, so an unreadable judge never drops an instruction.
 */
public final class LlmEntailmentJudge implements EntailmentJudge {
    /** How the scripted LLM recognises the prompt. */
    public static final String OPENING = "Natural language inference: decide whether the premise entails the hypothesis.";
    public static final String PREMISE = "\nPremise: ";
    public static final String HYPOTHESIS = "\nHypothesis: ";

    private static final Pattern LABEL_WORD = Pattern.compile("\\b(entail\\w*|neutral|contradict\\w*)\\b",
            Pattern.CASE_INSENSITIVE);

    private final Function<String, String> complete;

    /** @param complete sends a prompt and returns the completion's text (accounting is the caller's) */
    public LlmEntailmentJudge(Function<String, String> complete) {
        this.complete = complete;
    }

    public static String prompt(String premise, String hypothesis) {
        return OPENING + "\n"
                + "Answer ENTAILMENT if a response following the premise always follows the hypothesis, CONTRADICTION "
                + "if no response can follow both, NEUTRAL otherwise. Answer with that one word only."
                + PREMISE + premise.replace('\n', ' ') + HYPOTHESIS + hypothesis.replace('\n', ' ');
    }

    @Override
    public Verdict judge(String premise, String hypothesis) {
        return parse(complete.apply(prompt(premise, hypothesis)));
    }

    static Verdict parse(String answer) {
        Set<NliLabel> named = new LinkedHashSet<>();
        Matcher m = LABEL_WORD.matcher(answer == null ? "" : answer);
        while (m.find()) {
            String word = m.group(1).toLowerCase(Locale.ROOT);
            named.add(word.startsWith("entail") ? NliLabel.ENTAILMENT
                    : word.startsWith("contradict") ? NliLabel.CONTRADICTION : NliLabel.NEUTRAL);
        }
        if (named.size() == 1) {
            return new Verdict(named.iterator().next(), null);
        }
        String shown = answer == null ? "" : answer.strip();
        shown = shown.length() > 200 ? shown.substring(0, 200) + "…" : shown;
        return new Verdict(NliLabel.NEUTRAL, (named.isEmpty() ? "no label" : "several labels " + named)
                + " in the judge's answer, read as NEUTRAL: " + shown);
    }
}
