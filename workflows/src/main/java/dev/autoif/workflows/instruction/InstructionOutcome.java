package dev.autoif.workflows.instruction;

import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.activities.LlmUsage;
import java.util.List;

/** A small summary returned to the campaign; the full record lives in the artifact store. */
public record InstructionOutcome(
        int index, String instructionId, DropReason dropReason, String detail, int functionsKept, int casesKept,
        List<LlmUsage> llmUsage) {

    public InstructionOutcome(int index, String instructionId, DropReason dropReason, String detail,
                              int functionsKept, int casesKept) {
        this(index, instructionId, dropReason, detail, functionsKept, casesKept, List.of());
    }

    public boolean kept() {
        return dropReason == null;
    }
}
