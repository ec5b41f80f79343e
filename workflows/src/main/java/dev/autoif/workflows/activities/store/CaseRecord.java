package dev.autoif.workflows.activities.store;

/** One distinct test case with the number of usable functions that reproduced its label. */
public record CaseRecord(String input, boolean label, int agreeingFunctions, boolean kept) {}
