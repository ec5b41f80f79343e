package dev.autoif.workflows.activities;

import dev.autoif.workflows.crossval.FunctionEvaluation;
import java.util.List;

/**
 * Everything S2 and S3 learnt about one instruction: its lineage, written to the artifact store.
 *
 * @param matrix     rows = verifiers, columns = distinct case inputs (see {@code matrixInputs})
 * @param dropReason null when kept
 */
public record InstructionRecord(
        int index,
        String instructionId,
        String instruction,
        String preset,
        List<VerifierSample> samples,
        List<VerifierRecord> verifiers,
        List<CaseRecord> cases,
        List<String> matrixInputs,
        List<FunctionEvaluation> matrix,
        String dropReason,
        String detail) {}
