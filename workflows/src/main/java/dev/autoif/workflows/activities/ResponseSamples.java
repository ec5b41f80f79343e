package dev.autoif.workflows.activities;

import java.util.List;

public record ResponseSamples(List<ResponseSample> samples, List<LlmUsage> usage) {}
