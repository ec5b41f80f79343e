package dev.autoif.workflows.dataset;

/** How a query and an instruction become one prompt. */
public final class SftPrompt {
    private SftPrompt() {}

    /** S6: what the supervision model is asked when it samples responses. */
    public static String forSampling(String instruction, String query) {
        return "Please answer the query strictly following the instruction.\n[instruction] " + instruction
                + "\n[Query] " + query;
    }

    /**
     * S9, the reference rule: the query, then the instruction with a full stop, both capitalised; a query that has
     * no "?" or "." of its own is closed with ". " first, otherwise joined with " ".
     */
    public static String reference(String query, String instruction) {
        String q = capitalise(query.strip());
        String i = capitalise(instruction.strip());
        String joiner = q.contains("?") || q.contains(".") ? " " : ". ";
        return q + joiner + (i.endsWith(".") ? i : i + ".");
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
