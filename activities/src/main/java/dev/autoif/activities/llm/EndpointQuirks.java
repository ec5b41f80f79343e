package dev.autoif.activities.llm;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway has learnt about each (endpoint, model) from its answers — servers differ from the OpenAI API in
 * ways that change what a dataset may claim — and the notes a reader of the data must see (in the funnel's LLM usage
 * and the dataset card). Each note is logged once per endpoint. Per worker process: a new worker learns again from its
 * first paid request.
 */
final class EndpointQuirks {
    private static final Logger log = LoggerFactory.getLogger(EndpointQuirks.class);

    /** End-of-turn markers some servers leave at the end of the text (transformers serve keeps its stop string). */
    static final List<String> END_MARKERS = List.of("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "</s>");

    /** One endpoint's traits; null fields are not known yet. */
    static final class Traits {
        volatile Boolean ignoresN;
        volatile Boolean seedsReproducible;
        /** The response_format dialect the endpoint accepted, {@link #NO_STRUCTURED_OUTPUT}, or null (not tried yet). */
        volatile String structuredOutput;
        /** True once a request in {@link #structuredOutput}'s dialect was answered. */
        volatile boolean structuredOutputConfirmed;
        final List<String> notes = new CopyOnWriteArrayList<>();
    }

    static final String NO_STRUCTURED_OUTPUT = "none";

    private final Map<String, Traits> byEndpoint = new ConcurrentHashMap<>();

    Traits of(ChatCall call) {
        return byEndpoint.computeIfAbsent(id(call), k -> new Traits());
    }

    /** The notes about {@code call}'s endpoint so far. */
    List<String> notes(ChatCall call) {
        Traits t = byEndpoint.get(id(call));
        return t == null ? List.of() : List.copyOf(t.notes);
    }

    void note(ChatCall call, String note) {
        String text = "LLM endpoint " + call.baseUrl() + " (model '" + call.model() + "') " + note;
        Traits t = of(call);
        synchronized (t) {
            if (t.notes.contains(text)) {
                return;
            }
            t.notes.add(text);
        }
        log.warn(text);
    }

    /** The text without a trailing end-of-turn marker, or the text itself. */
    static String withoutEndMarker(String text) {
        String trimmed = text.stripTrailing();
        for (String marker : END_MARKERS) {
            if (trimmed.endsWith(marker)) {
                return trimmed.substring(0, trimmed.length() - marker.length()).stripTrailing();
            }
        }
        return text;
    }

    /** A rough token count (4 characters a token) for endpoints that report no usage. */
    static long estimateTokens(String text) {
        return text == null || text.isEmpty() ? 0 : (text.length() + 3) / 4;
    }

    private static String id(ChatCall call) {
        return call.baseUrl().replaceAll("/+$", "").toLowerCase(Locale.ROOT) + "\u0000" + call.model();
    }
}
