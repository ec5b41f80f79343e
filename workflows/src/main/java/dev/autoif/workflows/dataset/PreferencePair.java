package dev.autoif.workflows.dataset;

/**
 * One DPO pair. {@code kind} is {@link #RESPONSE_LEVEL} (D1/D2: two responses to one prompt, told apart by their
 * verifier pass rates) or {@link #INSTRUCTION_LEVEL} (the paper's variant: two S3 test cases of one instruction, one
 * the verifiers accept and one they all reject).
 */
public record PreferencePair(String instructionId, String prompt, String chosen, String rejected,
                             double chosenPassRate, double rejectedPassRate, String kind) {
    public static final String RESPONSE_LEVEL = "response";
    public static final String INSTRUCTION_LEVEL = "instruction";
}
