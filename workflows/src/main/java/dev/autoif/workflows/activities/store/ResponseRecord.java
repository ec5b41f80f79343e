package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.ResponseDropReason;
import dev.autoif.workflows.activities.llm.JudgeVerdict;
import java.util.List;

/**
 * One sampled response and its fate (S7, S8).
 *
 * @param verdicts   per kept function, in order: true/false, or null when the function abstained (error, timeout,
 *                   non-bool); empty when the response never reached the sandbox
 * @param passRate   share of functions returning true; null when not scored
 * @param judge      S8's verdict; null when the response did not reach the judge
 * @param dropReason null when the response became an SFT row
 */
public record ResponseRecord(String text, String finishReason, List<Boolean> verdicts, Double passRate,
                             JudgeVerdict judge, ResponseDropReason dropReason) {

    public boolean kept() {
        return dropReason == null;
    }

    public ResponseRecord withText(String replacement) {
        return new ResponseRecord(replacement, finishReason, verdicts, passRate, judge, dropReason);
    }
}
