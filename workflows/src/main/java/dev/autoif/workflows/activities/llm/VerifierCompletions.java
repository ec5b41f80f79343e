package dev.autoif.workflows.activities.llm;

import java.util.List;

/** S2's parsed completions, and what obtaining them cost (readable in the UI and summed by the campaign). */
public record VerifierCompletions(List<VerifierSample> samples, List<LlmUsage> usage) {

    public VerifierCompletions(List<VerifierSample> samples) {
        this(samples, List.of());
    }
}
