package dev.autoif.activities.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CampaignReportTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A small campaign directory in the shapes the store writes (funnel.json, items/, responses.jsonl): 3 instructions,
     * 2 kept, 1 dropped; 6 responses, 2 kept; one priced usage row.
     */
    static Path campaign(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("items"));
        Files.writeString(dir.resolve("funnel.json"), """
                {"campaign": "campaign-test", "preset": "reference", "funnel": {
                  "instructions": 3, "finished": 3, "kept": 2, "droppedByReason": {"TOO_FEW_CASES": 1},
                  "llmUsage": [{"stage": "S2", "role": "supervision", "model": "m", "requests": 3, "retries": 1, "cacheHits": 0,
                                "completions": 24, "promptTokens": 1200, "completionTokens": 3400, "costUsd": 0.0057}],
                  "llmCostUsd": 0.0057,
                  "responses": {"prompts": 2, "responses": 6, "droppedByReason": {"BELOW_PASS_RATE": 3, "DUPLICATE": 1},
                                "sftRows": 2, "dpoPairs": 1},
                  "stopReason": null}}""");
        item(dir, 0, "aaaa", "Answer in English", null, 0.95, 0.85, 0.4);
        item(dir, 1, "bbbb", "Use only palindromes", "TOO_FEW_CASES", 0.2);
        item(dir, 2, "cccc", "Respond with a haiku", null, 1.0, 0.9);
        Files.writeString(dir.resolve("items/000000-aaaa.responses.json"), "{}");
        Files.writeString(dir.resolve("items/000002-cccc.responses.json"), "{}");
        StringBuilder rows = new StringBuilder();
        double[] passRates = {1.0, 0.5, 0.0, 0.0, 0.0};
        for (int i = 0; i < passRates.length; i++) {
            ObjectNode row = JSON.createObjectNode().put("pass_rate", passRates[i]).put("kept", i < 2)
                    .put("reason", i < 2 ? null : "BELOW_PASS_RATE");
            if (i < 2) row.putArray("judge_scores").add(9).add(10);
            rows.append(row).append('\n');
        }
        rows.append("{\"pass_rate\": null, \"kept\": false, \"reason\": \"DUPLICATE\"}\n"); // never evaluated
        Files.writeString(dir.resolve("responses.jsonl"), rows);
        return dir;
    }

    static void item(Path dir, int index, String id, String instruction, String reason, double... accuracies) throws Exception {
        ObjectNode r = JSON.createObjectNode().put("index", index).put("instructionId", id).put("instruction", instruction)
                .put("dropReason", reason).put("detail", reason == null ? "kept" : "6 distinct cases, 0 cases kept");
        var verifiers = r.putArray("verifiers");
        for (double a : accuracies) verifiers.addObject().put("func", "def evaluate(r): ...").put("accuracy", a).put("kept", a >= 0.8);
        verifiers.addObject().put("func", "def evaluate(:").putNull("accuracy").put("kept", false).put("definitionError", "SyntaxError");
        Path file = dir.resolve(String.format("items/%06d-%s.json", index, id));
        Files.writeString(file, r.toString());
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_000_000L + index * 60_000L));
    }

    @Test
    void binsWhatTheFilesHoldAndLinksEachDropToItsRecord(@TempDir Path tmp) throws Exception {
        JsonNode data = CampaignReport.data(campaign(tmp));
        assertEquals("campaign-test", data.get("campaign").asText());
        assertEquals(3, data.at("/funnel/instructions").asInt());
        // 6 usable functions (the one with a definition error has no accuracy): 0.85 in 0.8-0.9; 0.9, 0.95, 1 in 0.9-1
        assertEquals(6, data.at("/accuracy/functions").asInt());
        assertEquals("[0,0,0,0,0,0,0,0,1,3]", data.at("/accuracy/kept").toString());
        assertEquals("[0,0,1,0,1,0,0,0,0,0]", data.at("/accuracy/not kept").toString());
        // pass rates 1, 0.5, 0, 0, 0 (the duplicate was never evaluated)
        assertEquals(5, data.at("/passRate/responses").asInt());
        assertEquals("[0,0,0,1,0,0,1]", data.at("/passRate/kept").toString());
        assertEquals("[3,0,0,0,0,0,0]", data.at("/passRate/dropped").toString());
        assertEquals(2, data.at("/judge/responses").asInt());
        assertEquals(2, data.at("/judge/kept/9").asInt(), "mean 9.5 rounds down to 9");
        assertEquals(1, data.at("/dropped/total").asInt());
        JsonNode drop = data.at("/dropped/rows/0");
        assertEquals("Use only palindromes", drop.get("instruction").asText());
        assertEquals("TOO_FEW_CASES", drop.get("reason").asText());
        assertEquals("items/000001-bbbb.json", drop.get("record").asText());
        assertTrue(Files.isRegularFile(tmp.resolve(drop.get("record").asText())));
        // instruction records one minute apart: 0, 1 and 2 minutes after the first
        assertEquals("[[0.0,1],[1.0,2],[2.0,3]]", data.at("/throughput/instructions").toString());
    }

    @Test
    void thePageIsSelfContained(@TempDir Path tmp) throws Exception {
        Path page = CampaignReport.write(campaign(tmp));
        String html = Files.readString(page, StandardCharsets.UTF_8);
        assertTrue(!html.contains("/*DATA*/") && !html.contains("/*ECHARTS*/"));
        assertTrue(html.contains("echarts"), "ECharts is inlined");
        assertTrue(!html.matches("(?s).*(src|href)=\"https?:.*"), "nothing is loaded from the network");
    }

    @Test
    void aDirectoryWithoutFunnelJsonIsRefusedNamingIt(@TempDir Path tmp) {
        var e = assertThrows(IllegalArgumentException.class, () -> CampaignReport.write(tmp));
        assertEquals(tmp + " is not a campaign directory: it has no funnel.json", e.getMessage());
    }
}
