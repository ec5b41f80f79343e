package dev.autoif.activities.queries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.FileSystemArtifactStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueryImportTest {
    @TempDir
    Path dir;

    private final QueryImporter importer = new QueryImporter(20, 300);

    private static String q(int i) {
        return "How do I cook a good dinner for " + i + " people?";
    }

    @Test
    void readsShareGptJsonlAndOpenAiMessagesCountingEveryProblemByLine() throws IOException {
        Path in = dir.resolve("mixed.jsonl");
        Files.writeString(in, String.join("\n",
                "{\"conversations\": [{\"from\": \"system\", \"value\": \"be nice\"}, {\"from\": \"human\", \"value\": \"" + q(1) + "\"}, {\"from\": \"gpt\", \"value\": \"ok\"}]}",
                "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"" + q(2) + "\"}]}]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"too short\"}]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"" + "x".repeat(300) + "\"}]}",
                "{\"conversations\": [{\"from\": \"gpt\", \"value\": \"no human here at all, only gpt\"}]}",
                "{this is not json",
                "{\"id\": 7}",
                "",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"" + q(3) + "\"}]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"  " + q(2) + "\"}]}"));
        QueryImporter.Report r = importFile(in, dir.resolve("queries.jsonl"));
        assertEquals(9, r.records());
        assertEquals(1, r.duplicates(), "the same query again (after stripping) is kept once");
        assertEquals(3, r.kept());
        assertEquals(1, r.tooShort());
        assertEquals(1, r.tooLong());
        assertEquals(1, r.noUserTurn());
        assertEquals(2, r.malformed());
        assertTrue(r.errors().get(0).startsWith("line 6: not valid JSON"), r.errors().toString());
        assertTrue(r.errors().get(1).startsWith("line 7: neither 'conversations'"), r.errors().toString());
        assertEquals(List.of("\"" + q(1) + "\"", "\"" + q(2) + "\"", "\"" + q(3) + "\""),
                Files.readAllLines(dir.resolve("queries.jsonl")));
    }

    @Test
    void streamsAShareGptArrayAndReportsWhereItBreaks() throws IOException {
        Path in = dir.resolve("dump.json");
        try (BufferedWriter w = Files.newBufferedWriter(in, StandardCharsets.UTF_8)) {
            w.write("[\n");
            for (int i = 0; i < 5000; i++) {
                w.write("{\"conversations\": [{\"from\": \"human\", \"value\": \"" + q(i) + "\"}]},\n");
            }
            w.write("{\"conversations\": \"not a list\"},\n");
            w.write("{\"conversations\": [{\"from\": \"human\", \"value\": \"" + q(9999) + "\"}]},\n");
            w.write("{\"conversations\": [{\"from\": \"human\", \"value\": \"unterminated}]}\n");
        }
        QueryImporter.Report r = importFile(in, dir.resolve("queries.jsonl"));
        assertEquals(5001, r.kept());
        assertEquals(2, r.malformed());
        assertTrue(r.errors().get(0).startsWith("record 5000: 'conversations' is not a list"), r.errors().toString());
        assertTrue(r.errors().get(1).startsWith("record 5002 (line 5004"), r.errors().toString());
    }

    /** Imports a file into a file, as the store activity does into the campaign's pool. */
    private QueryImporter.Report importFile(Path in, Path out) throws IOException {
        try (InputStream source = Files.newInputStream(in); OutputStream pool = Files.newOutputStream(out)) {
            return importer.importFrom(source, pool);
        }
    }

    /** The campaign's pool, paged (pages are cut on the first open), dealt with this cap and seed. */
    private static final class Draws {
        final QueryPages pages;
        final QuerySampler sampler;

        Draws(ArtifactStore campaign, int maxUses, long seed) {
            pages = QueryPages.open(campaign);
            sampler = new QuerySampler(pages.size(), maxUses, seed);
        }

        List<String> sample(int instructionIndex, int count) {
            return pages.queries(sampler.draw(instructionIndex, count));
        }
    }

    @Test
    void samplingIsSeededDistinctAndCapsReuse() throws IOException {
        Path queries = dir.resolve("queries.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) lines.add("\"" + q(i) + "\"");
        Files.write(queries, lines);
        ArtifactStore campaign = new FileSystemArtifactStore(dir);

        Map<String, Integer> uses = new HashMap<>();
        List<List<String>> first = new ArrayList<>();
        Draws sampler = new Draws(campaign, 2, 42);
        assertEquals(40, sampler.pages.size());
        // 40 queries deal two hands of 16 per round; a cap of 2 uses allows two rounds: four instructions.
        for (int i = 0; i < 4; i++) {
            List<String> drawn = sampler.sample(i, 16);
            first.add(drawn);
            assertEquals(16, drawn.size());
            assertEquals(16, new HashSet<>(drawn).size(), "distinct within an instruction");
            drawn.forEach(d -> uses.merge(d, 1, Integer::sum));
        }
        assertEquals(List.of(), sampler.sample(4, 16), "beyond two rounds: the cap is reached");
        assertEquals(List.of(), sampler.sample(1000, 16));
        assertTrue(uses.values().stream().allMatch(u -> u <= 2), "reuse cap: " + uses);
        assertTrue(uses.size() > 32, "a new permutation each round spreads the draws: " + uses.size());
        Draws again = new Draws(campaign, 2, 42);
        for (int i = 3; i >= 0; i--) {
            assertEquals(first.get(i), again.sample(i, 16), "same seed, same draw, in any order");
        }
        // Printed by the line-offset sampler before the pool was paged (commit 5014c70): the draws did not change.
        assertEquals(List.of(q(16), q(9), q(17), q(24), q(35), q(15), q(38), q(7), q(1), q(0), q(8), q(26), q(33),
                q(27), q(22), q(36)), first.get(0));
        Draws other = new Draws(campaign, 2, 43);
        assertNotEquals(first.get(0), other.sample(0, 16), "another seed, another draw");
        Draws once = new Draws(campaign, 1, 7);
        List<String> a = once.sample(0, 16);
        List<String> b = once.sample(1, 16);
        assertEquals(32, new HashSet<>(concat(a, b)).size(), "under a cap of one use no query is given twice");
        assertEquals(List.of(), once.sample(2, 16), "the 8 queries left cannot make a hand of 16");
        assertEquals(40, once.sample(0, 100).size(), "a hand never exceeds the pool");
    }

    @Test
    void poolPositionIsTheLineOfTheImportedFileAcrossPages() throws IOException {
        Path queries = dir.resolve("queries.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 2 * QueryPages.PAGE_SIZE + 7; i++) lines.add("\"" + q(i) + "\"");
        Files.write(queries, lines);
        QueryPages pages = QueryPages.open(new FileSystemArtifactStore(dir));
        assertEquals(lines.size(), pages.size());
        int[] everyPosition = new int[lines.size()];
        for (int i = 0; i < everyPosition.length; i++) everyPosition[everyPosition.length - 1 - i] = i;
        List<String> read = pages.queries(everyPosition);
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(q(i), read.get(lines.size() - 1 - i));
        }
        assertTrue(Files.exists(dir.resolve("queries/page-000002.jsonl")), "three pages of 256, 256 and 7");
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
