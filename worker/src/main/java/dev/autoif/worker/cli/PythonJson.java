package dev.autoif.worker.cli;

import java.util.Map;

/**
 * JSON text exactly as Python's {@code json.dumps(obj)} writes it with default arguments (separators {@code ", "}
 * and {@code ": "}, {@code ensure_ascii=True}: every character outside printable ASCII as a lower-case
 * {@code \\uXXXX}, non-BMP characters as surrogate pairs), so files we write for the reference pipeline are
 * byte-for-byte what its scripts write. Only what those files need: flat objects of string values.
 */
final class PythonJson {
    private PythonJson() {}

    static String dumps(Map<String, String> object) {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> e : object.entrySet()) {
            if (!first) {
                out.append(", ");
            }
            first = false;
            string(out, e.getKey());
            out.append(": ");
            string(out, e.getValue());
        }
        return out.append('}').toString();
    }

    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c >= ' ' && c <= '~') {
                        out.append(c);
                    } else {
                        out.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        out.append('"');
    }
}
