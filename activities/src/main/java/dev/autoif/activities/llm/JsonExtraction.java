package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a JSON value in model output: inside a ``` fence (```json or bare) or, failing that,
 * between the first opening and the last closing bracket of prose. Strict JSON, as the
 * reference's {@code json.loads}: raw newlines inside strings are an error the model made.
 */
public final class JsonExtraction {
    private static final Pattern FENCE = Pattern.compile("```[a-zA-Z]*\\s*\\n?(.*?)```", Pattern.DOTALL);
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonExtraction() {}

    /** The parsed value, or the parser's complaint about the most promising candidate. */
    public record Result(JsonNode value, String error) {}

    public static Result find(String text, char open, char close) {
        List<String> candidates = new ArrayList<>();
        Matcher fence = FENCE.matcher(text);
        while (fence.find()) {
            candidates.add(fence.group(1));
        }
        int first = text.indexOf(open);
        int last = text.lastIndexOf(close);
        if (first >= 0 && last > first) {
            candidates.add(text.substring(first, last + 1));
        }
        if (candidates.isEmpty()) {
            return new Result(null, "no JSON found");
        }
        String firstError = null;
        for (String candidate : candidates) {
            Optional<JsonNode> parsed = parse(candidate.strip());
            if (parsed.isPresent() && parsed.get().isContainerNode()) {
                return new Result(parsed.get(), null);
            }
            if (firstError == null) {
                firstError = error(candidate.strip());
            }
        }
        return new Result(null, firstError);
    }

    /** The first JSON object in the text: in a fence, or starting at any '{' of prose (trailing text ignored). */
    public static Result findObject(String text) {
        return findTyped(text, '{', n -> true);
    }

    /** The first JSON list in the text: in a fence, or starting at any '[' of prose (trailing text ignored). */
    public static Result findList(String text) {
        return findTyped(text, '[', n -> true);
    }

    /** The first JSON list in the text all of whose items are strings (skips "[1]"-style prose brackets). */
    public static Result findStringList(String text) {
        return findTyped(text, '[', n -> {
            for (JsonNode item : n) {
                if (!item.isTextual()) return false;
            }
            return true;
        });
    }

    private static final int MAX_START_POSITIONS = 200;

    private static Result findTyped(String text, char open, java.util.function.Predicate<JsonNode> accept) {
        if (text == null) {
            return new Result(null, "no JSON found");
        }
        String firstError = null;
        Matcher fence = FENCE.matcher(text);
        while (fence.find()) {
            String candidate = fence.group(1).strip();
            Optional<JsonNode> parsed = parse(candidate);
            if (parsed.isPresent() && matches(parsed.get(), open) && accept.test(parsed.get())) {
                return new Result(parsed.get(), null);
            }
            if (firstError == null && candidate.indexOf(open) == 0) {
                firstError = error(candidate);
            }
        }
        int tries = 0;
        for (int i = text.indexOf(open); i >= 0 && tries < MAX_START_POSITIONS; i = text.indexOf(open, i + 1), tries++) {
            String rest = text.substring(i);
            Optional<JsonNode> parsed = parse(rest);
            if (parsed.isPresent() && matches(parsed.get(), open) && accept.test(parsed.get())) {
                return new Result(parsed.get(), null);
            }
            if (firstError == null) {
                firstError = error(rest);
            }
        }
        return new Result(null, firstError != null ? firstError
                : "no JSON " + (open == '[' ? "list" : "object") + " found");
    }

    private static boolean matches(JsonNode n, char open) {
        return open == '[' ? n.isArray() : n.isObject();
    }

    private static Optional<JsonNode> parse(String s) {
        try {
            return Optional.ofNullable(JSON.readTree(s));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String error(String s) {
        try {
            JsonNode n = JSON.readTree(s);
            return "not a JSON object or list: " + (n == null ? "empty" : n.getNodeType());
        } catch (IOException e) {
            String m = e.getMessage();
            int cut = m.indexOf('\n');
            return cut > 0 ? m.substring(0, cut) : m;
        }
    }
}
