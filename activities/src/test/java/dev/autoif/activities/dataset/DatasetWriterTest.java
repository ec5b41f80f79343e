package dev.autoif.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.dataset.DatasetWriter.DatasetFile;
import dev.autoif.workflows.dataset.SftExample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetWriterTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String P1 = "What is the best mbti. Keep your response under twenty-five words without exception.";
    static final String R1 = "There is no \\\"best\\\" MBTI type; each has unique strengths.";
    static final String ALPACA = "sft_alpaca/part-00000.json";
    static final String MESSAGES = "sft_messages/part-00000.jsonl";
    static final String SHAREGPT = "sft_sharegpt/part-00000.jsonl";
    static final String TRL = "dpo_trl/part-00000.jsonl";
    static final String LF = "dpo_llamafactory/part-00000.json";

    @Test
    void writesEveryFormatExactly(@TempDir Path dir) throws Exception {
        List<DatasetFile> files = new DatasetWriter().write(dir, DatasetFixtures.sft(), DatasetFixtures.pairs());

        assertEquals(List.of(
                new DatasetFile("sft_alpaca", "LLaMA-Factory alpaca (SFT)", 2, "autoif_sft_alpaca", List.of(ALPACA)),
                new DatasetFile("sft_messages", "OpenAI messages JSONL (SFT)", 2, "autoif_sft_messages", List.of(MESSAGES)),
                new DatasetFile("sft_sharegpt", "ShareGPT JSONL (SFT)", 2, "autoif_sft_sharegpt", List.of(SHAREGPT)),
                new DatasetFile("dpo_trl", "TRL preference JSONL (DPO)", 2, null, List.of(TRL)),
                new DatasetFile("dpo_llamafactory", "LLaMA-Factory pairwise alpaca (DPO)", 2, "autoif_dpo", List.of(LF))), files);
        assertEquals("sft_messages/*.jsonl", files.get(1).glob());
        assertEquals("sft_alpaca/*.json", files.get(0).glob());

        String alpaca = read(dir, ALPACA);
        assertTrue(alpaca.startsWith("[\n  {\n    \"instruction\": \"" + P1 + "\",\n    \"input\": \"\",\n    \"output\": \""
                + R1 + "\",\n    \"history\": []\n  },\n  {\n"), alpaca);
        assertTrue(alpaca.endsWith("  }\n]\n"), alpaca);

        List<String> messages = read(dir, MESSAGES).lines().toList();
        assertEquals(2, messages.size());
        assertEquals("{\"messages\":[{\"role\":\"user\",\"content\":\"" + P1 + "\"},{\"role\":\"assistant\",\"content\":\""
                + R1 + "\"}]}", messages.get(0));
        // UTF-8 as is, newline escaped inside the string, one row per line
        assertEquals("{\"messages\":[{\"role\":\"user\",\"content\":\"What is \\\"Dead by Daylight\\\"? Answer in exactly two lines.\"},"
                + "{\"role\":\"assistant\",\"content\":\"A multiplayer horror game.\\nFour survivors flee one killer — café 🐱.\"}]}",
                messages.get(1));

        assertEquals("{\"conversations\":[{\"from\":\"human\",\"value\":\"" + P1 + "\"},{\"from\":\"gpt\",\"value\":\""
                + R1 + "\"}]}", read(dir, SHAREGPT).lines().findFirst().orElseThrow());

        assertEquals("{\"prompt\":\"What is \\\"Dead by Daylight\\\"? Answer in exactly two lines.\","
                + "\"chosen\":\"Asymmetric horror.\\nBy Behaviour.\",\"rejected\":\"It is a game.\"}",
                read(dir, TRL).lines().toList().get(1));

        JsonNode lf = JSON.readTree(read(dir, LF));
        assertEquals(2, lf.size());
        assertEquals(List.of("instruction", "input", "chosen", "rejected"), names(lf.get(0)));
        assertEquals("", lf.get(0).get("input").asText());
        assertEquals("A horror game.\nOne killer, four survivors.", lf.get(0).get("chosen").asText());

        JsonNode info = JSON.readTree(read(dir, "dataset_info.json"));
        assertEquals(List.of("autoif_sft_alpaca", "autoif_sft_messages", "autoif_sft_sharegpt", "autoif_dpo"), names(info));
        assertEquals("{\"file_name\":\"dpo_llamafactory\",\"formatting\":\"alpaca\",\"ranking\":true,"
                + "\"columns\":{\"prompt\":\"instruction\",\"query\":\"input\",\"chosen\":\"chosen\",\"rejected\":\"rejected\"}}",
                info.get("autoif_dpo").toString());
        assertEquals("{\"file_name\":\"sft_sharegpt\",\"formatting\":\"sharegpt\",\"columns\":{\"messages\":\"conversations\"},"
                + "\"tags\":{\"role_tag\":\"from\",\"content_tag\":\"value\",\"user_tag\":\"human\",\"assistant_tag\":\"gpt\"}}",
                info.get("autoif_sft_sharegpt").toString());
        assertEquals("role", info.get("autoif_sft_messages").get("tags").get("role_tag").asText());
        for (JsonNode entry : info) {
            assertTrue(Files.isDirectory(dir.resolve(entry.get("file_name").asText())), entry.toString());
        }
        assertEquals(List.of(MESSAGES), DatasetWriter.parts(ArtifactStores.filesystemOnly().open(dir.toString()), "sft_messages"));

        try (Stream<Path> left = Files.walk(dir)) {
            assertEquals(7, left.filter(Files::isRegularFile).count(), "five parts, the manifest, the registry: no temp files");
        }
    }

    @Test
    void sameInputGivesTheSameBytesAndARewriteReplacesTheFiles(@TempDir Path a, @TempDir Path b) throws Exception {
        new DatasetWriter().write(a, DatasetFixtures.sft(), DatasetFixtures.pairs());
        new DatasetWriter().write(b, List.of(), List.of());
        new DatasetWriter().write(b, DatasetFixtures.sft(), DatasetFixtures.pairs());
        for (String f : List.of(ALPACA, MESSAGES, SHAREGPT, TRL, LF, "dataset_info.json", "dataset_parts.json")) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
    }

    @Test
    void emptyInputWritesEmptyFiles(@TempDir Path dir) throws Exception {
        new DatasetWriter().write(dir, List.of(), List.of());
        assertEquals("[]\n", read(dir, ALPACA));
        assertEquals("", read(dir, MESSAGES));
        assertEquals("[]\n", read(dir, LF));
    }

    /**
     * Parts close at the row limit or once past the byte limit; the JSONL parts concatenated are the single-part file
     * byte for byte, the JSON array parts hold the same rows in the same order. A smaller export over a larger one
     * blanks the parts it no longer fills (a store cannot delete them), so a directory load sees only its rows.
     */
    @Test
    void partsSplitAtTheLimitsAndConcatenateToTheWhole(@TempDir Path whole, @TempDir Path split) throws Exception {
        List<SftExample> sft = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) {
            sft.addAll(DatasetFixtures.sft());
        }
        new DatasetWriter().write(whole, sft, DatasetFixtures.pairs());
        List<DatasetFile> files = new DatasetWriter(new DatasetWriter.PartLimits(3, 1 << 20)).write(split, sft, DatasetFixtures.pairs());
        assertEquals(List.of("sft_messages/part-00000.jsonl", "sft_messages/part-00001.jsonl", "sft_messages/part-00002.jsonl",
                "sft_messages/part-00003.jsonl", "sft_messages/part-00004.jsonl"), files.get(1).parts());
        assertEquals(14, files.get(1).rows());
        StringBuilder joined = new StringBuilder();
        for (String part : files.get(1).parts()) {
            String content = read(split, part);
            assertTrue(content.lines().count() <= 3, part);
            joined.append(content);
        }
        assertEquals(read(whole, MESSAGES), joined.toString());
        List<JsonNode> rows = new java.util.ArrayList<>();
        for (String part : files.get(0).parts()) {
            JSON.readTree(read(split, part)).forEach(rows::add);
        }
        assertEquals(com.google.common.collect.ImmutableList.copyOf(JSON.readTree(read(whole, ALPACA))), rows);

        // A byte limit below one row: every part holds one row.
        List<DatasetFile> byBytes = new DatasetWriter(new DatasetWriter.PartLimits(100, 10)).write(split, sft.subList(0, 4), List.of());
        assertEquals(4, byBytes.get(1).parts().size());
        assertEquals("", read(split, "sft_messages/part-00004.jsonl"), "the stale fifth part is blanked");
        assertEquals(List.of("sft_messages/part-00000.jsonl", "sft_messages/part-00001.jsonl", "sft_messages/part-00002.jsonl",
                        "sft_messages/part-00003.jsonl", "sft_messages/part-00004.jsonl"),
                DatasetWriter.parts(ArtifactStores.filesystemOnly().open(split.toString()), "sft_messages"),
                "the manifest still names the blanked part, so the next export blanks it too");
        assertEquals("[]\n", read(split, "sft_alpaca/part-00004.json"));
    }

    @Test
    void aRowWithoutAResponseIsRefused(@TempDir Path dir) {
        SftExample broken = new SftExample("i", "ins", "q", "Q. Ins.", null, 1.0, List.of(9.0));
        assertThrows(IllegalArgumentException.class, () -> new DatasetWriter().write(dir, List.of(broken), List.of()));
    }

    static String read(Path dir, String name) throws Exception {
        return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    }

    static List<String> names(JsonNode node) {
        return com.google.common.collect.ImmutableList.copyOf(node.fieldNames());
    }
}
