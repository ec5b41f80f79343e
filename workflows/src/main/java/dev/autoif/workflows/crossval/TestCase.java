package dev.autoif.workflows.crossval;

/** A test case the model wrote for its verifier: a response and whether it follows the instruction. */
public record TestCase(String input, boolean label) {}
