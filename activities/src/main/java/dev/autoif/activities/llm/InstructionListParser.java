package dev.autoif.activities.llm;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * S1 (self-instruct) output: the lines that start with {@code "- "} (leading spaces, a bold or
 * numbered variant of the marker, and surrounding quotes tolerated), stripped, exact duplicates
 * removed; without such lines, a JSON list of strings as {@link BackTranslationParser} reads it (what an endpoint with
 * structured output answers: {@code {"instructions": [...]}}). Reason codes: EMPTY_COMPLETION, NO_LIST_ITEMS.
 */
public final class InstructionListParser {
    private InstructionListParser() {}

    public static ParseResult<List<String>> parse(String text) {
        if (text == null || text.isBlank()) {
            return ParseResult.fail("EMPTY_COMPLETION", "the completion is empty");
        }
        LinkedHashSet<String> items = new LinkedHashSet<>();
        for (String line : text.split("\\R")) {
            String s = line.strip();
            if (!s.startsWith("- ") && !s.equals("-")) {
                continue;
            }
            String item = s.substring(1).strip();
            if (item.length() >= 2 && (item.startsWith("\"") && item.endsWith("\"") || item.startsWith("“") && item.endsWith("”"))) {
                item = item.substring(1, item.length() - 1).strip();
            }
            if (!item.isEmpty()) {
                items.add(item);
            }
        }
        if (items.isEmpty()) {
            ParseResult<List<String>> json = BackTranslationParser.parse(text);
            if (json.ok()) {
                return ParseResult.ok(new ArrayList<>(new LinkedHashSet<>(json.value())));
            }
            return ParseResult.fail("NO_LIST_ITEMS", "no line starts with \"- \" and no JSON list of instructions");
        }
        return ParseResult.ok(new ArrayList<>(items));
    }
}
