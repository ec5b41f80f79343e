package dev.autoif.workflows.activities.llm;

import java.util.List;

public record ResponseSamples(List<ResponseSample> samples, List<LlmUsage> usage) {}
