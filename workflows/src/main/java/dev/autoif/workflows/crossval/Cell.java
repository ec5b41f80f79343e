package dev.autoif.workflows.crossval;

/**
 * One evaluation of one verifier on one input. {@code value} is set only when the function
 * returned a real bool; any other return type, an exception or a timeout is an abstention.
 *
 * @param value       the bool returned, or null when the function abstained
 * @param returnType  Python type name of what was returned ("bool", "int", "NoneType"...), null on error
 * @param error       exception type and (truncated) message, null when none was raised
 * @param timedOut    the call exceeded the per-call timeout and its process was killed
 */
public record Cell(Boolean value, String returnType, String error, boolean timedOut) {
    public boolean agreesWith(boolean label) {
        return value != null && value == label;
    }
}
