package dev.autoif.workflows.activities.llm;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** How S4/S5 (back-translation and the consistency filter) run: the campaign's {@code consistency} field. */
public enum ConsistencyMode {
    /** S4/S5 with an LLM entailment judge (the default). */
    LLM,
    /** S4/S5 with the ONNX NLI model the worker loads from AUTOIF_NLI_MODEL_DIR (the reference's mDeBERTa XNLI). */
    ONNX,
    /** S4 and S5 are skipped. */
    NONE;

    /** The name in campaign JSON and on the wire ("llm", "onnx", "none"). */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the campaign's {@code consistency}, naming the valid values when it is unknown. */
    public static ConsistencyMode fromWireName(String name) {
        for (ConsistencyMode m : values()) {
            if (m.wireName().equals(name)) {
                return m;
            }
        }
        List<String> valid = Arrays.stream(values()).map(m -> "\"" + m.wireName() + "\"").toList();
        throw new IllegalArgumentException("'consistency' must be " + String.join(", ", valid.subList(0, valid.size() - 1))
                + " or " + valid.getLast() + ", got \"" + name + "\"");
    }
}
