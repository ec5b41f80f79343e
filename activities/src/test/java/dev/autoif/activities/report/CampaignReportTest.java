package dev.autoif.activities.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.FileSystemArtifactStore;
import dev.autoif.activities.artifacts.S3TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CampaignReportTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A small campaign directory in the shapes the store writes (funnel.json, instructions.jsonl, items/,
     * responses.jsonl): 3 instructions, 2 kept, 1 dropped; 6 responses, 2 kept; one priced usage row. The instruction
     * records were written one minute apart.
     */
    static Path campaign(Path dir) throws Exception {
        campaign(new FileSystemArtifactStore(dir));
        for (int index = 0; index < IDS.length; index++) {
            Files.setLastModifiedTime(dir.resolve(String.format("items/%06d-%s.json", index, IDS[index])),
                    FileTime.fromMillis(1_700_000_000_000L + index * 60_000L));
        }
        return dir;
    }

    static final String[] IDS = {"aaaa", "bbbb", "cccc"};

    /** The same campaign in any store (its records' times are when this ran). */
    static ArtifactStore campaign(ArtifactStore store) throws Exception {
        store.writeString("instructions.jsonl", Arrays.stream(IDS).map(id -> "{\"id\": \"" + id + "\"}\n")
                .collect(Collectors.joining()));
        store.writeString("funnel.json", """
                {"campaign": "campaign-test", "preset": "reference", "funnel": {
                  "instructions": 3, "finished": 3, "kept": 2, "droppedByReason": {"TOO_FEW_CASES": 1},
                  "llmUsage": [{"stage": "S2", "role": "supervision", "model": "m", "requests": 3, "retries": 1, "cacheHits": 0,
                                "completions": 24, "promptTokens": 1200, "completionTokens": 3400, "costUsd": 0.0057}],
                  "llmCostUsd": 0.0057,
                  "responses": {"prompts": 2, "responses": 6, "droppedByReason": {"BELOW_PASS_RATE": 3, "DUPLICATE": 1},
                                "sftRows": 2, "dpoPairs": 1},
                  "stopReason": null}}""");
        item(store, 0, "Answer in English", null, 0.95, 0.85, 0.4);
        item(store, 1, "Use only palindromes", "TOO_FEW_CASES", 0.2);
        item(store, 2, "Respond with a haiku", null, 1.0, 0.9);
        store.writeString("items/000000-aaaa.responses.json", "{}");
        store.writeString("items/000002-cccc.responses.json", "{}");
        StringBuilder rows = new StringBuilder();
        double[] passRates = {1.0, 0.5, 0.0, 0.0, 0.0};
        for (int i = 0; i < passRates.length; i++) {
            ObjectNode row = JSON.createObjectNode().put("pass_rate", passRates[i]).put("kept", i < 2)
                    .put("reason", i < 2 ? null : "BELOW_PASS_RATE");
            if (i < 2) row.putArray("judge_scores").add(9).add(10);
            rows.append(row).append('\n');
        }
        rows.append("{\"pass_rate\": null, \"kept\": false, \"reason\": \"DUPLICATE\"}\n"); // never evaluated
        store.writeString("responses.jsonl", rows.toString());
        return store;
    }

    static void item(ArtifactStore store, int index, String instruction, String reason, double... accuracies) {
        String id = IDS[index];
        ObjectNode r = JSON.createObjectNode().put("index", index).put("instructionId", id).put("instruction", instruction)
                .put("dropReason", reason).put("detail", reason == null ? "kept" : "6 distinct cases, 0 cases kept");
        var verifiers = r.putArray("verifiers");
        for (double a : accuracies) verifiers.addObject().put("func", "def evaluate(r): ...").put("accuracy", a).put("kept", a >= 0.8);
        verifiers.addObject().put("func", "def evaluate(:").putNull("accuracy").put("kept", false).put("definitionError", "SyntaxError");
        store.writeString(String.format("items/%06d-%s.json", index, id), r.toString());
    }

    @Test
    void binsWhatTheFilesHoldAndLinksEachDropToItsRecord(@TempDir Path tmp) throws Exception {
        JsonNode data = CampaignReport.data(new FileSystemArtifactStore(campaign(tmp)), instruction -> {});
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
        Path page = Path.of(CampaignReport.write(new FileSystemArtifactStore(campaign(tmp)), instruction -> {}));
        assertEquals(tmp.resolve("report.html"), page);
        String html = Files.readString(page, StandardCharsets.UTF_8);
        assertTrue(!html.contains("/*DATA*/") && !html.contains("/*ECHARTS*/"));
        assertTrue(html.contains("echarts"), "ECharts is inlined");
        assertTrue(!html.matches("(?s).*(src|href)=\"https?:.*"), "nothing is loaded from the network");
    }

    @Test
    void aDirectoryWithoutFunnelJsonIsRefusedNamingIt(@TempDir Path tmp) {
        var e = assertThrows(IllegalArgumentException.class, () -> CampaignReport.write(new FileSystemArtifactStore(tmp), i -> {}));
        assertEquals(tmp + " is not a campaign directory: it has no funnel.json", e.getMessage());
    }

    /**
     * A campaign whose store is S3 (s3proxy, a real S3-protocol server) gets its report in its bucket: the same data as
     * from a directory, its throughput from the objects' times, every instruction reported as it is read.
     */
    @Test
    void anS3CampaignGetsItsReportInItsBucket(@TempDir Path tmp) throws Exception {
        try (S3TestServer s3 = S3TestServer.start(tmp.resolve("s3"))) {
            s3.createBucket("campaigns");
            ArtifactStore store = campaign(s3.connection().apply("s3://campaigns/run-1"));
            List<Integer> reported = new ArrayList<>();
            assertEquals("s3://campaigns/run-1/report.html", CampaignReport.write(store, reported::add));
            assertEquals(List.of(0, 1, 2), reported);

            String html = store.readString("report.html");
            assertTrue(html.contains("echarts") && !html.contains("/*DATA*/"), "a whole page");
            ObjectNode fromS3 = CampaignReport.data(store, i -> {});
            ObjectNode fromDirectory = CampaignReport.data(new FileSystemArtifactStore(campaign(tmp.resolve("dir"))), i -> {});
            JsonNode throughput = fromS3.remove("throughput");
            fromDirectory.remove("throughput");
            assertEquals(fromDirectory, fromS3);
            assertEquals(3, throughput.get("instructions").size(), "one point per instruction record: " + throughput);
            assertEquals(2, throughput.get("responses").size(), "one point per Stage 2 record: " + throughput);
            assertTrue(html.contains(fromS3.at("/dropped/rows/0/record").asText()), "the dropped instruction's record is linked");
        }
    }
}
