package dev.autoif.worker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code autoif stage dpo-pairs} on rows in the reference's dpo_query_eval_score_results.jsonl format (written here). */
class DpoPairsCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static final String ONE_EACH = "{\"query\": \"Answer in lowercase only. what is caf\\u00e9?\", \"response\": ["
            + "[\"a caf\\u00e9 is a \\\"coffee\\\" shop.\\n\\ud83d\\udc31\", 1.0], [\"A Caf\\u00e9.\", 0.0], [\"half right\", 0.25]]}";
    static final String MANY = "{\"query\": \"Use exactly three words. Name a color.\", \"response\": ["
            + "[\"Blue is nice.\", 1.0], [\"Red, surely, friend.\", 0.5], [\"Green it is.\", 0.75], [\"Blue\", 0.0], "
            + "[\"Purple is my favourite\", 0.0], [\"Yellow\", 0], [\"Pink!\", 0.4], [\"Blue is nice.\", 1.0]]}";
    static final String NO_CHOSEN = "{\"query\": \"Keep it under ten characters. Explain DNS.\", \"response\": [[\"DNS maps names to addresses.\", 0.0], [\"Name lookup for the internet\", 0.25]]}";
    static final String NO_REJECTED = "{\"query\": \"Reply in one word. Capital of France?\", \"response\": [[\"Paris\", 1.0], [\"Paris.\", 1.0]]}";
    static final String BAD_RATE = "{\"query\": \"q\", \"response\": [[\"x\", \"1.0\"]]}";

    @Test
    void writesReferencePairsAndReportsMalformedLines(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("dpo_query_eval_score_results.jsonl");
        Path output = dir.resolve("dpo_pairs.jsonl");
        Files.write(input, List.of(ONE_EACH, MANY, NO_CHOSEN, "", NO_REJECTED, BAD_RATE, "not json",
                "{\"response\": []}"), StandardCharsets.UTF_8);

        StageCli run = StageCli.run("stage", "dpo-pairs", "--input", input.toString(), "--output", output.toString(),
                "--seed", "7");
        assertEquals(0, run.exit(), run.out() + run.err());

        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        assertEquals(5, lines.size(), String.join("\n", lines));
        // exactly the bytes the reference's json.dumps writes (ensure_ascii, ", " and ": " separators)
        assertEquals("{\"instruction\": \"Answer in lowercase only. what is caf\\u00e9?\", "
                + "\"positive\": \"a caf\\u00e9 is a \\\"coffee\\\" shop.\\n\\ud83d\\udc31\", \"negative\": \"A Caf\\u00e9.\"}",
                lines.get(0));

        // 3 distinct chosen (>= 0.5), 3 rejected (== 0; the int 0 too), 0.4 neither, the repeat drawn once:
        // 2 x 2 distinct pairs
        Set<String> chosen = Set.of("Blue is nice.", "Red, surely, friend.", "Green it is.");
        Set<String> rejected = Set.of("Blue", "Purple is my favourite", "Yellow");
        Set<String> positives = new HashSet<>();
        Set<String> negatives = new HashSet<>();
        Set<String> combos = new HashSet<>();
        for (String line : lines.subList(1, 5)) {
            JsonNode pair = JSON.readTree(line);
            assertEquals(List.of("instruction", "positive", "negative"), DatasetNames.of(pair));
            assertEquals("Use exactly three words. Name a color.", pair.get("instruction").asText());
            assertTrue(chosen.contains(pair.get("positive").asText()), line);
            assertTrue(rejected.contains(pair.get("negative").asText()), line);
            positives.add(pair.get("positive").asText());
            negatives.add(pair.get("negative").asText());
            combos.add(pair.get("positive").asText() + "|" + pair.get("negative").asText());
        }
        assertEquals(2, positives.size());
        assertEquals(2, negatives.size());
        assertEquals(4, combos.size());

        assertEquals("line 6: response 0 is not [string, number]: [\"x\",\"1.0\"]; skipped\n", firstLine(run.err()));
        assertTrue(run.err().contains("line 7: not JSON ("), run.err());
        assertTrue(run.err().contains("line 8: no 'query' string; skipped\n"), run.err());
        assertEquals("""
                7 rows read (seed 7): 2 with pairs, 5 dropped; 5 pairs written
                  dropped MALFORMED_LINE: 3
                  dropped NO_CHOSEN_RESPONSE: 1
                  dropped NO_REJECTED_RESPONSE: 1
                wrote %s
                """.formatted(output.toAbsolutePath()), run.out());

        // seeded: a re-run writes the same bytes
        Path again = dir.resolve("again.jsonl");
        assertEquals(0, StageCli.run("stage", "dpo-pairs", "--input", input.toString(), "--output", again.toString(),
                "--seed", "7").exit());
        assertEquals(Files.readString(output), Files.readString(again));
    }

    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl + 1);
    }

    /** Field names of a JSON object, in order. */
    static final class DatasetNames {
        static List<String> of(JsonNode node) {
            List<String> names = new java.util.ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            return names;
        }
    }
}
