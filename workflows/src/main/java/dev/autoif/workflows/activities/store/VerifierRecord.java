package dev.autoif.workflows.activities.store;

/**
 * One distinct verifier function of an instruction, with its fate.
 *
 * @param accuracy        share of kept cases it labels correctly, null if never scored
 * @param definitionError why it could not be defined, null if it could
 */
public record VerifierRecord(String func, Double accuracy, boolean kept, String definitionError) {}
