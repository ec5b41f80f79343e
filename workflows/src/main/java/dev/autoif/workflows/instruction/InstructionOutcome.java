package dev.autoif.workflows.instruction;

import dev.autoif.workflows.DropReason;

/** A small summary returned to the campaign; the full record lives in the artifact store. */
public record InstructionOutcome(
        int index, String instructionId, DropReason dropReason, String detail, int functionsKept, int casesKept) {

    public boolean kept() {
        return dropReason == null;
    }
}
