package dev.autoif.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

    @Test
    void writesEveryFormatExactly(@TempDir Path dir) throws Exception {
        List<DatasetFile> files = new DatasetWriter().write(dir, DatasetFixtures.sft(), DatasetFixtures.pairs());

        assertEquals(List.of(
                new DatasetFile("sft_alpaca.json", "LLaMA-Factory alpaca (SFT)", 2, "autoif_sft_alpaca"),
                new DatasetFile("sft_messages.jsonl", "OpenAI messages JSONL (SFT)", 2, "autoif_sft_messages"),
                new DatasetFile("sft_sharegpt.jsonl", "ShareGPT JSONL (SFT)", 2, "autoif_sft_sharegpt"),
                new DatasetFile("dpo_trl.jsonl", "TRL preference JSONL (DPO)", 2, null),
                new DatasetFile("dpo_llamafactory.json", "LLaMA-Factory pairwise alpaca (DPO)", 2, "autoif_dpo")), files);

        String alpaca = read(dir, "sft_alpaca.json");
        assertTrue(alpaca.startsWith("[\n  {\n    \"instruction\": \"" + P1 + "\",\n    \"input\": \"\",\n    \"output\": \""
                + R1 + "\",\n    \"history\": []\n  },\n  {\n"), alpaca);
        assertTrue(alpaca.endsWith("  }\n]\n"), alpaca);

        List<String> messages = read(dir, "sft_messages.jsonl").lines().toList();
        assertEquals(2, messages.size());
        assertEquals("{\"messages\":[{\"role\":\"user\",\"content\":\"" + P1 + "\"},{\"role\":\"assistant\",\"content\":\""
                + R1 + "\"}]}", messages.get(0));
        // UTF-8 as is, newline escaped inside the string, one row per line
        assertEquals("{\"messages\":[{\"role\":\"user\",\"content\":\"What is \\\"Dead by Daylight\\\"? Answer in exactly two lines.\"},"
                + "{\"role\":\"assistant\",\"content\":\"A multiplayer horror game.\\nFour survivors flee one killer — café 🐱.\"}]}",
                messages.get(1));

        assertEquals("{\"conversations\":[{\"from\":\"human\",\"value\":\"" + P1 + "\"},{\"from\":\"gpt\",\"value\":\""
                + R1 + "\"}]}", read(dir, "sft_sharegpt.jsonl").lines().findFirst().orElseThrow());

        assertEquals("{\"prompt\":\"What is \\\"Dead by Daylight\\\"? Answer in exactly two lines.\","
                + "\"chosen\":\"Asymmetric horror.\\nBy Behaviour.\",\"rejected\":\"It is a game.\"}",
                read(dir, "dpo_trl.jsonl").lines().toList().get(1));

        JsonNode lf = JSON.readTree(read(dir, "dpo_llamafactory.json"));
        assertEquals(2, lf.size());
        assertEquals(List.of("instruction", "input", "chosen", "rejected"), names(lf.get(0)));
        assertEquals("", lf.get(0).get("input").asText());
        assertEquals("A horror game.\nOne killer, four survivors.", lf.get(0).get("chosen").asText());

        JsonNode info = JSON.readTree(read(dir, "dataset_info.json"));
        assertEquals(List.of("autoif_sft_alpaca", "autoif_sft_messages", "autoif_sft_sharegpt", "autoif_dpo"), names(info));
        assertEquals("{\"file_name\":\"dpo_llamafactory.json\",\"formatting\":\"alpaca\",\"ranking\":true,"
                + "\"columns\":{\"prompt\":\"instruction\",\"query\":\"input\",\"chosen\":\"chosen\",\"rejected\":\"rejected\"}}",
                info.get("autoif_dpo").toString());
        assertEquals("{\"file_name\":\"sft_sharegpt.jsonl\",\"formatting\":\"sharegpt\",\"columns\":{\"messages\":\"conversations\"},"
                + "\"tags\":{\"role_tag\":\"from\",\"content_tag\":\"value\",\"user_tag\":\"human\",\"assistant_tag\":\"gpt\"}}",
                info.get("autoif_sft_sharegpt").toString());
        assertEquals("role", info.get("autoif_sft_messages").get("tags").get("role_tag").asText());
        for (JsonNode entry : info) {
            assertTrue(Files.isRegularFile(dir.resolve(entry.get("file_name").asText())), entry.toString());
        }

        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(6, left.count(), "no temp files left behind");
        }
    }

    @Test
    void sameInputGivesTheSameBytesAndARewriteReplacesTheFiles(@TempDir Path a, @TempDir Path b) throws Exception {
        new DatasetWriter().write(a, DatasetFixtures.sft(), DatasetFixtures.pairs());
        new DatasetWriter().write(b, List.of(), List.of());
        new DatasetWriter().write(b, DatasetFixtures.sft(), DatasetFixtures.pairs());
        for (String f : List.of("sft_alpaca.json", "sft_messages.jsonl", "sft_sharegpt.jsonl", "dpo_trl.jsonl",
                "dpo_llamafactory.json", "dataset_info.json")) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
    }

    @Test
    void emptyInputWritesEmptyFiles(@TempDir Path dir) throws Exception {
        new DatasetWriter().write(dir, List.of(), List.of());
        assertEquals("[]\n", read(dir, "sft_alpaca.json"));
        assertEquals("", read(dir, "sft_messages.jsonl"));
        assertEquals("[]\n", read(dir, "dpo_llamafactory.json"));
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
