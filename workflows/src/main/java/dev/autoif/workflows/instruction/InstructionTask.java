package dev.autoif.workflows.instruction;

import dev.autoif.workflows.campaign.LlmSettings;
import dev.autoif.workflows.crossval.Thresholds;

/** One instruction to take through S2 (verifier generation) and S3 (cross-validation). */
public record InstructionTask(
        String campaignId,
        String outputDir,
        int index,
        String instructionId,
        String instruction,
        LlmSettings supervision,
        int verifiersPerInstruction,
        String preset,
        Thresholds thresholds,
        int evaluationTimeoutSeconds,
        boolean keepTruncated,
        int llmRetryInitialIntervalMillis) {

    public InstructionTask(String campaignId, String outputDir, int index, String instructionId, String instruction,
                           LlmSettings supervision, int verifiersPerInstruction, String preset, Thresholds thresholds,
                           int evaluationTimeoutSeconds) {
        this(campaignId, outputDir, index, instructionId, instruction, supervision, verifiersPerInstruction, preset,
                thresholds, evaluationTimeoutSeconds, false, 1000);
    }
}
