package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import java.util.List;

/**
 * Everything S2 to S5 learnt about one instruction: its lineage, written to the artifact store.
 *
 * @param matrix     rows = verifiers, columns = distinct case inputs (see {@code matrixInputs})
 * @param dropReason null when kept
 * @param backTranslations S4/S5: the kept functions back-translated and each hypothesis's NLI label (empty when
 *                         S4 did not run)
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
        DropReason dropReason,
        String detail,
        List<BackTranslationRecord> backTranslations) {

    /** This record with the given S2 samples (the store completes a record whose samples it holds). */
    public InstructionRecord withSamples(List<VerifierSample> replacement) {
        return new InstructionRecord(index, instructionId, instruction, preset, replacement, verifiers, cases,
                matrixInputs, matrix, dropReason, detail, backTranslations);
    }
}
