package dev.autoif.workflows.activities;

import java.util.List;

public record VerifierCompletions(List<VerifierSample> samples) {}
