package dev.autoif.workflows.crossval;

import java.util.List;

/**
 * A verifier's row of the pass matrix. When the source does not compile or defining it raises,
 * {@code definitionError} says why and {@code cells} is empty.
 */
public record FunctionEvaluation(String definitionError, List<Cell> cells) {
    public boolean usable() {
        return definitionError == null;
    }
}
