package dev.autoif.activities.nli;

/** The NLI model directory is missing a file or holds something the ONNX judge cannot use; the message says what. */
public final class NliModelException extends RuntimeException {
    public NliModelException(String message) {
        super(message);
    }

    public NliModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
