package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * S2's parsed completions, and what obtaining them cost (readable in the UI and summed by the campaign).
 *
 * @param samplesStored true when the activity stored the samples whole at the request's
 *                      {@link VerifierRequest#storeSamplesAt} and returns them without their raw text; false from a
 *                      worker that predates it (mid-deploy), whose samples come back whole
 */
public record VerifierCompletions(List<VerifierSample> samples, List<LlmUsage> usage, boolean samplesStored) {

    public VerifierCompletions(List<VerifierSample> samples) {
        this(samples, List.of(), false);
    }
}
