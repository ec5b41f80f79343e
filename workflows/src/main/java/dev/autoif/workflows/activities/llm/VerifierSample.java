package dev.autoif.workflows.activities.llm;

import dev.autoif.workflows.crossval.TestCase;
import java.util.List;

/**
 * One S2 completion, parsed.
 *
 * @param index         sample index within the request (0..K-1)
 * @param finishReason  as the endpoint reported it ("stop", "length"...)
 * @param parseError    null when usable, else a reason code with detail, e.g. "INVALID_JSON: ..."
 * @param func          the verifier source, null when unusable
 * @param cases         the test cases whose labels are booleans (or "true"/"false" strings, coerced)
 * @param rejectedCases cases dropped at parse time (non-boolean label, missing input), for the record
 * @param raw           the completion text, truncated, for inspection
 */
public record VerifierSample(
        int index, String finishReason, String parseError, String func, List<TestCase> cases, int rejectedCases, String raw) {

    public boolean usable() {
        return parseError == null;
    }
}
