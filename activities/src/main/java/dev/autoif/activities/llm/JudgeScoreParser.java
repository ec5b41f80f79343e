package dev.autoif.activities.llm;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * S8 (quality judge) output: the score of the last {@code Score: N} in the answer, 0..10. Unlike
 * the reference regex (score only at the very end), it tolerates markdown ({@code **Score:** 8},
 * {@code Score: **8**}), a scale ({@code Score: 8/10}; {@code 4/5} becomes 8) and trailing text
 * after it. Reason codes: EMPTY_COMPLETION, NO_SCORE, SCORE_OUT_OF_RANGE.
 */
public final class JudgeScoreParser {
    private static final Pattern SCORE = Pattern.compile(
            "(?i)\\bscore\\b[*_\\s]*[:=：][*_\\s]*(-?\\d+(?:\\.\\d+)?)(?:\\s*(?:/|out of)\\s*(\\d+(?:\\.\\d+)?))?");

    private JudgeScoreParser() {}

    public static ParseResult<Double> parse(String text) {
        if (text == null || text.isBlank()) {
            return ParseResult.fail("EMPTY_COMPLETION", "the completion is empty");
        }
        Matcher m = SCORE.matcher(text);
        String value = null;
        String scale = null;
        while (m.find()) {
            value = m.group(1);
            scale = m.group(2);
        }
        if (value == null) {
            return ParseResult.fail("NO_SCORE", "no 'Score: N' line in the judge's answer");
        }
        double score = Double.parseDouble(value);
        if (scale != null) {
            double of = Double.parseDouble(scale);
            if (of <= 0) {
                return ParseResult.fail("SCORE_OUT_OF_RANGE", "score " + value + "/" + scale);
            }
            score = score * 10.0 / of;
        }
        if (score < 0 || score > 10) {
            return ParseResult.fail("SCORE_OUT_OF_RANGE", "score " + value + (scale == null ? "" : "/" + scale)
                    + " is outside 0..10");
        }
        return ParseResult.ok(score);
    }
}
