package dev.autoif.workflows.dataset;

import java.util.Locale;

/** How a query and an instruction become one prompt. */
public final class SftPrompt {
    private SftPrompt() {}

    /** S6: what the supervision model is asked when it samples responses. */
    public static String forSampling(String instruction, String query) {
        return "Please answer the query strictly following the instruction.\n[instruction] " + instruction
                + "\n[Query] " + query;
    }

    /**
     * S9, exactly the reference rule (QwenLM/AutoIF {@code code/9_sft_data_construction.py}): the first character of
     * the query and of the instruction is upper-cased; when the query contains a "?" or a "." the prompt is
     * {@code query + " " + instruction + "."}, otherwise {@code query + ". " + instruction + "."}. Nothing is
     * stripped and the full stop is always appended (an instruction that already ends with "." gets "..", as in the
     * reference), so the same (query, instruction) gives byte-for-byte the reference's prompt. The reference fails on
     * an empty query or instruction; here an empty one stays empty.
     */
    public static String reference(String query, String instruction) {
        String q = capitalise(query);
        String i = capitalise(instruction);
        String joiner = q.contains("?") || q.contains(".") ? " " : ". ";
        return q + joiner + i + ".";
    }

    /** Python's {@code s[0].upper() + s[1:]}: the first code point upper-cased with full case mapping. */
    private static String capitalise(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = Character.charCount(s.codePointAt(0));
        return s.substring(0, first).toUpperCase(Locale.ROOT) + s.substring(first);
    }
}
