package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * S4 (back-translation) output: a JSON list of strings, bare or inside a ``` fence or prose; an
 * object holding exactly one such list ({@code {"instructions": [...]}}) is accepted too.
 * Reason codes: EMPTY_COMPLETION, INVALID_JSON, NOT_A_LIST, NOT_STRINGS, EMPTY_LIST.
 */
public final class BackTranslationParser {
    private BackTranslationParser() {}

    public static ParseResult<List<String>> parse(String text) {
        if (text == null || text.isBlank()) {
            return ParseResult.fail("EMPTY_COMPLETION", "the completion is empty");
        }
        JsonExtraction.Result found = JsonExtraction.findStringList(text);
        if (found.value() == null) {
            found = JsonExtraction.findList(text);
        }
        JsonNode list = found.value();
        if (list == null) {
            JsonExtraction.Result object = JsonExtraction.findObject(text);
            if (object.value() != null) {
                JsonNode only = null;
                int lists = 0;
                for (JsonNode v : object.value()) {
                    if (v.isArray()) {
                        only = v;
                        lists++;
                    }
                }
                if (lists != 1) {
                    return ParseResult.fail("NOT_A_LIST", "expected a JSON list of instructions, got an object with "
                            + lists + " lists");
                }
                list = only;
            } else {
                return ParseResult.fail("INVALID_JSON", found.error());
            }
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : list) {
            if (!item.isTextual()) {
                return ParseResult.fail("NOT_STRINGS", "list item is " + item.getNodeType() + ", expected a string");
            }
            if (!item.asText().isBlank()) {
                out.add(item.asText().strip());
            }
        }
        if (out.isEmpty()) {
            return ParseResult.fail("EMPTY_LIST", "the list holds no instruction");
        }
        return ParseResult.ok(out);
    }
}
