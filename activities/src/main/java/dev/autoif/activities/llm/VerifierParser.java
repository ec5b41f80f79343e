package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.crossval.TestCase;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns an S2 completion into a function and test cases, or a reason code saying why it is
 * unusable. Never throws: one bad completion must not cost the other samples.
 */
public final class VerifierParser {
    /** Raw completions are kept for inspection in the UI, up to this many characters. */
    static final int RAW_CHARS = 6000;
    static final String TRUNCATED_FINISH = "length";

    private VerifierParser() {}

    public static VerifierSample parse(int index, ChatSample sample) {
        return parse(index, sample, true);
    }

    /**
     * @param keepTruncated false: a completion cut off by the token cap ({@code finish_reason=length}) is unusable
     *                      with reason TRUNCATED even if what arrived parses (a cut-off function is not the function
     *                      the model meant); true: it is judged on what arrived
     */
    public static VerifierSample parse(int index, ChatSample sample, boolean keepTruncated) {
        String text = sample.content() == null ? "" : sample.content();
        String raw = text.length() > RAW_CHARS ? text.substring(0, RAW_CHARS) + "…" : text;
        if (!keepTruncated && TRUNCATED_FINISH.equals(sample.finishReason())) {
            return unusable(index, sample, "TRUNCATED: finish_reason=length, the completion hit maxTokens "
                    + "(raise maxTokens, or set keepTruncated in the campaign to use such samples)", raw);
        }
        JsonExtraction.Result found = JsonExtraction.find(text, '{', '}');
        if (found.value() == null) {
            String reason = "length".equals(sample.finishReason()) ? "TRUNCATED" : "INVALID_JSON";
            return unusable(index, sample, reason + ": " + found.error(), raw);
        }
        JsonNode root = found.value();
        if (!root.isObject()) {
            return unusable(index, sample, "NOT_AN_OBJECT: expected {\"func\": ..., \"cases\": [...]}", raw);
        }
        JsonNode func = root.path("func");
        if (!func.isTextual() || func.asText().isBlank()) {
            return unusable(index, sample, "NO_FUNC: missing or non-string 'func'", raw);
        }
        if (!func.asText().contains("def evaluate")) {
            return unusable(index, sample, "NO_EVALUATE: 'func' does not define evaluate(response)", raw);
        }
        List<TestCase> cases = new ArrayList<>();
        int rejected = 0;
        for (JsonNode c : root.path("cases")) {
            JsonNode input = c.path("input");
            Boolean label = label(c.path("output"));
            if (input.isTextual() && label != null) {
                cases.add(new TestCase(input.asText(), label));
            } else {
                rejected++;
            }
        }
        return new VerifierSample(index, sample.finishReason(), null, func.asText(), cases, rejected, raw);
    }

    /**
     * A JSON boolean, or the strings "true"/"false" in any case: the reference prompt's example
     * says {@code "output": str}, and the reference then compared those strings with bools, so
     * they could never match. Anything else is not a label.
     */
    static Boolean label(JsonNode output) {
        if (output.isBoolean()) {
            return output.asBoolean();
        }
        if (output.isTextual()) {
            String s = output.asText().strip().toLowerCase(Locale.ROOT);
            if (s.equals("true")) return true;
            if (s.equals("false")) return false;
        }
        return null;
    }

    private static VerifierSample unusable(int index, ChatSample sample, String reason, String raw) {
        return new VerifierSample(index, sample.finishReason(), reason, null, List.of(), 0, raw);
    }
}
