package dev.autoif.workflows.dataset;

/** A response to one prompt with the share of the instruction's kept functions that accepted it. */
public record ScoredResponse(String response, double passRate) {}
