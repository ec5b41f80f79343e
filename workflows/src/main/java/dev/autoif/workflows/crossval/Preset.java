package dev.autoif.workflows.crossval;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The named rule sets of METHOD.md. Every run records which one it used. */
public enum Preset {
    /**
     * The reference code: >= 3 functions and >= 10 cases, any-agree cases, accuracy >= 0.8; responses with a pass
     * rate > 0; judge mean > 8.
     */
    REFERENCE(new Thresholds(3, 10, CaseRule.ANY, 0.8, true), 0.0, 8.0),
    /** The paper: >= 1 function and case, majority-agree cases, accuracy > 0.5; pass rate > 0.5; judge mean > 8. */
    PAPER(new Thresholds(1, 1, CaseRule.MAJORITY, 0.5, false), 0.5, 8.0);

    private final Thresholds crossValidation;
    private final double responsePassRateAbove;
    private final double judgeScoreAbove;

    Preset(Thresholds crossValidation, double responsePassRateAbove, double judgeScoreAbove) {
        this.crossValidation = crossValidation;
        this.responsePassRateAbove = responsePassRateAbove;
        this.judgeScoreAbove = judgeScoreAbove;
    }

    /** S7: a response is kept when its pass rate is strictly above this. */
    public double responsePassRateAbove() {
        return responsePassRateAbove;
    }

    /** S8: a response is kept when its mean judge score is strictly above this. */
    public double judgeScoreAbove() {
        return judgeScoreAbove;
    }

    public Thresholds crossValidation() {
        return crossValidation;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a preset name from campaign input, naming the valid ones when it is unknown. */
    public static Preset fromWireName(String name) {
        for (Preset p : values()) {
            if (p.wireName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; valid presets: "
                + Arrays.stream(values()).map(Preset::wireName).collect(Collectors.joining(", ")));
    }
}
