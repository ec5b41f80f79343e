package dev.autoif.activities.llm;

/**
 * What a parser made of a completion: a value, or a reason code (UPPER_SNAKE, stable, for drop
 * records and counts) with a human detail. Parsers return this and never throw.
 */
public record ParseResult<T>(T value, String reason, String detail) {

    public static <T> ParseResult<T> ok(T value) {
        return new ParseResult<>(value, null, null);
    }

    public static <T> ParseResult<T> fail(String reason, String detail) {
        return new ParseResult<>(null, reason, detail);
    }

    public boolean ok() {
        return reason == null;
    }

    /** "REASON: detail", the form VerifierSample.parseError uses. */
    public String error() {
        return reason == null ? null : reason + (detail == null ? "" : ": " + detail);
    }
}
