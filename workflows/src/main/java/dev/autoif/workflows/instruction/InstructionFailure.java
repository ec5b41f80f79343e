package dev.autoif.workflows.instruction;

import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;

/**
 * A campaign-fatal failure of one instruction (bad endpoint, missing image), signalled to the campaign by a child it
 * started abandoned ({@link InstructionTask#reportsBySignal()}): the campaign fails with the same type and message.
 *
 * @param type the application failure type, or the failure's class name when it was not an application failure
 */
public record InstructionFailure(int index, String instructionId, String type, String message) {

    static InstructionFailure of(InstructionTask task, TemporalFailure failure) {
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String message = root instanceof TemporalFailure t ? t.getOriginalMessage() : root.getMessage();
        return new InstructionFailure(task.index(), task.instructionId(),
                root instanceof ApplicationFailure af ? af.getType() : root.getClass().getSimpleName(), message);
    }
}
