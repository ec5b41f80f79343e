package dev.autoif.workflows.instruction;

import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.activities.llm.LlmUsage;
import java.util.List;

/** A small summary (Stage 2 counts included) returned to the campaign; the full record lives in the artifact store. */
public record InstructionOutcome(
        int index, String instructionId, DropReason dropReason, String detail, int functionsKept, int casesKept,
        List<LlmUsage> llmUsage, ResponseFunnel responses) {

    public boolean kept() {
        return dropReason == null;
    }
}
