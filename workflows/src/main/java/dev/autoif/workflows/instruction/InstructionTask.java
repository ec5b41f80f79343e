package dev.autoif.workflows.instruction;

import dev.autoif.workflows.activities.llm.ConsistencyMode;
import dev.autoif.workflows.activities.llm.LlmSettings;
import dev.autoif.workflows.crossval.Thresholds;

/**
 * One instruction to take through S2 (verifier generation), S3 (cross-validation) and, unless {@code consistency} is
 * NONE, S4 (back-translation) and S5 (consistency filter, with the {@code judge} model); then, when the campaign
 * has queries ({@code responseStage} not null), S6 to S9 and D1.
 *
 * @param stage2Only set by a campaign with {@code approveBeforeStage2} once Stage 2 is approved: S2 to S5 already ran
 *                   (without Stage 2) and stored the instruction's record; read it and run S6 to D1 only
 * @param reportsBySignal the campaign started this child abandoned (it may continue as new before the child ends): the
 *                   child signals its outcome, or its failure, to the campaign's workflow ID instead of returning it
 */
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
        int llmRetryInitialIntervalMillis,
        ConsistencyMode consistency,
        LlmSettings judge,
        ResponseStageSettings responseStage,
        boolean stage2Only,
        boolean reportsBySignal) {}
