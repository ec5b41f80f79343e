package dev.autoif.workflows;

/**
 * A step of the method, as LLM usage, metrics and the instruction's search attribute name it: S1 self-instruct, S2
 * verifiers, S3 cross-validation, S4 back-translation, S5 consistency, S6 responses, S7 response verification, S8
 * judge; D1 online DPO's sampling. The wire name is the enum name ("S5").
 */
public enum Stage {
    S1, S2, S3, S4, S5, S6, S7, S8, D1
}
