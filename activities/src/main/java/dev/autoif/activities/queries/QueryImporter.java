package dev.autoif.activities.queries;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Streams real user queries out of a ShareGPT dump (a JSON array or JSONL of
 * {@code {"conversations": [{"from": "human", "value": ...}]}}) or an OpenAI-style file
 * ({@code {"messages": [{"role": "user", "content": ...}]}}), one record at a time, so a dump of
 * any size is never held in memory. The first human turn of each record is the query; queries
 * outside the length window are counted and skipped; malformed records are counted and named by
 * line (JSONL) or index (array), never fatal. Kept queries go out as JSONL, one JSON string per line.
 */
public final class QueryImporter {
    /** How many malformed-record messages are kept for the report (all are counted). */
    static final int MAX_ERRORS_KEPT = 20;

    private final ObjectMapper json = new ObjectMapper();
    private final int minChars;
    private final int maxChars;

    /** Keeps queries with {@code minChars < length < maxChars} (the method: 20 and 300). */
    public QueryImporter(int minChars, int maxChars) {
        this.minChars = minChars;
        this.maxChars = maxChars;
    }

    /** Counts of what happened to every record, and the first few problems in words. */
    public record Report(long records, long kept, long malformed, long noUserTurn, long tooShort, long tooLong,
                         long duplicates, List<String> errors) {}

    private final class Tally {
        long records, kept, malformed, noUserTurn, tooShort, tooLong, duplicates;
        final List<String> errors = new ArrayList<>();
        /** 64 bits of SHA-256 per kept query: exact duplicates are dropped without holding the texts. */
        final java.util.Set<Long> seen = new java.util.HashSet<>();

        void malformed(String where, String why) {
            malformed++;
            if (errors.size() < MAX_ERRORS_KEPT) {
                errors.add(where + ": " + why);
            }
        }

        Report report() {
            return new Report(records, kept, malformed, noUserTurn, tooShort, tooLong, duplicates, List.copyOf(errors));
        }
    }

    /** Reads the user's file from {@code source} and writes the kept queries to {@code queriesOut}; closes neither. */
    public Report importFrom(InputStream source, OutputStream queriesOut) throws IOException {
        PushbackInputStream in = new PushbackInputStream(source, 1);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(queriesOut, StandardCharsets.UTF_8), 1 << 16);
        Tally tally = new Tally();
        if (firstNonBlank(in) == '[') {
            readArray(in, out, tally);
        } else {
            readLines(in, out, tally);
        }
        out.flush();
        return tally.report();
    }

    private static int firstNonBlank(PushbackInputStream in) throws IOException {
        int c;
        do {
            c = in.read();
        } while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF);
        if (c >= 0) {
            in.unread(c);
        }
        return c;
    }

    private void readLines(InputStream in, BufferedWriter out, Tally tally) throws IOException {
        BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        long lineNo = 0;
        for (String line; (line = reader.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            tally.records++;
            JsonNode record;
            try {
                record = json.readTree(line);
            } catch (IOException e) {
                tally.malformed("line " + lineNo, "not valid JSON (" + firstLine(e.getMessage()) + ")");
                continue;
            }
            accept(record, "line " + lineNo, out, tally);
        }
    }

    private void readArray(InputStream in, BufferedWriter out, Tally tally) throws IOException {
        JsonParser parser = new JsonFactory(json).createParser(in);
        parser.nextToken(); // [
        long index = 0;
        try {
            for (JsonToken t = parser.nextToken(); t != null && t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                tally.records++;
                JsonNode record = parser.readValueAsTree();
                accept(record, "record " + index++, out, tally);
            }
        } catch (JsonParseException e) {
            // A syntax error leaves the rest of an array unreadable: say where, keep what was read.
            tally.malformed("record " + index + " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")", "invalid JSON, the rest of the file is skipped: "
                    + firstLine(e.getOriginalMessage()));
        }
    }

    private void accept(JsonNode record, String where, BufferedWriter out, Tally tally) {
        String query;
        try {
            query = firstUserTurn(record);
        } catch (IllegalArgumentException e) {
            tally.malformed(where, e.getMessage());
            return;
        }
        if (query == null) {
            tally.noUserTurn++;
            return;
        }
        int length = query.strip().length();
        if (length <= minChars) {
            tally.tooShort++;
        } else if (length >= maxChars) {
            tally.tooLong++;
        } else if (!tally.seen.add(fingerprint(query.strip()))) {
            tally.duplicates++;
        } else {
            try {
                out.write(json.writeValueAsString(query.strip()));
                out.newLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            tally.kept++;
        }
    }

    private static long fingerprint(String query) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(query.getBytes(StandardCharsets.UTF_8));
            return java.nio.ByteBuffer.wrap(digest).getLong();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first human/user turn, null when there is none; malformed shapes throw with the reason. */
    static String firstUserTurn(JsonNode record) {
        if (record == null || !record.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        if (record.has("conversations")) {
            JsonNode turns = record.get("conversations");
            if (!turns.isArray()) throw new IllegalArgumentException("'conversations' is not a list");
            for (JsonNode turn : turns) {
                String from = turn.path("from").asText("").toLowerCase(Locale.ROOT);
                if (from.equals("human") || from.equals("user")) {
                    JsonNode value = turn.get("value");
                    if (value == null || !value.isTextual()) throw new IllegalArgumentException("a human turn has no string 'value'");
                    return value.asText();
                }
            }
            return null;
        }
        if (record.has("messages")) {
            JsonNode messages = record.get("messages");
            if (!messages.isArray()) throw new IllegalArgumentException("'messages' is not a list");
            for (JsonNode m : messages) {
                if ("user".equals(m.path("role").asText())) {
                    return text(m.get("content"));
                }
            }
            return null;
        }
        throw new IllegalArgumentException("neither 'conversations' (ShareGPT) nor 'messages' (OpenAI)");
    }

    /** OpenAI content is a string or a list of parts; only text parts count. */
    private static String text(JsonNode content) {
        if (content != null && content.isTextual()) {
            return content.asText();
        }
        if (content != null && content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                if ("text".equals(part.path("type").asText())) sb.append(part.path("text").asText());
            }
            return sb.toString();
        }
        throw new IllegalArgumentException("a user message has no string or text-part 'content'");
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int cut = s.indexOf('\n');
        return cut >= 0 ? s.substring(0, cut) : s;
    }
}
