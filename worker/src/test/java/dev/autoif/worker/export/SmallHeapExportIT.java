package dev.autoif.worker.export;

import dev.autoif.activities.artifacts.CampaignKeys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.dataset.DatasetWriter;
import dev.autoif.activities.store.CampaignStoreActivitiesImpl;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's "done when": a Stage 2 campaign whose responses.jsonl is larger than the heap of the JVM that exports it
 * exports correctly. The records (about 100 MB of responses) are written straight through the store, then the export
 * activity runs in a JVM of its own with {@value #HEAP}; the SFT set is checked against rows built here from the
 * records (not by the export's code): row count, target cut, SHA-256 of the parts concatenated, rows per part.
 */
class SmallHeapExportIT {
    static final String HEAP = "-Xmx64m";
    static final SyntheticCampaign CAMPAIGN = new SyntheticCampaign(96, 8, 8, 20_000, 11);
    static final int PART_ROWS = 1000;
    static final long PART_BYTES = 8L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void exportsACampaignLargerThanItsHeap(@TempDir Path dir) throws Exception {
        ArtifactStore store = ArtifactStores.filesystemOnly().open(dir.toString());
        CAMPAIGN.write(store);

        // The expectation, from the records: every kept response's SFT row, in instruction/prompt/response order.
        long responses = 0;
        long keptResponses = 0;
        for (int i = 0; i < CAMPAIGN.instructions(); i++) {
            if (SyntheticCampaign.dropped(i)) continue;
            for (int q = 0; q < CAMPAIGN.promptsPerInstruction(); q++) {
                for (JsonNode r : prompt(store, i, q).get("responses")) {
                    responses++;
                    if (r.get("dropReason").isNull()) keptResponses++;
                }
            }
        }
        long target = keptResponses - 5; // cut inside the last instruction's prompts
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        long rows = 0;
        for (int i = 0; i < CAMPAIGN.instructions() && rows < target; i++) {
            if (SyntheticCampaign.dropped(i)) continue;
            for (int q = 0; q < CAMPAIGN.promptsPerInstruction() && rows < target; q++) {
                JsonNode p = prompt(store, i, q);
                for (JsonNode r : p.get("responses")) {
                    if (!r.get("dropReason").isNull() || rows == target) continue;
                    ObjectNode row = JSON.createObjectNode();
                    var messages = row.putArray("messages");
                    messages.addObject().put("role", "user").put("content", p.get("prompt").asText());
                    messages.addObject().put("role", "assistant").put("content", r.get("text").asText());
                    expected.update((JSON.writeValueAsString(row) + "\n").getBytes(StandardCharsets.UTF_8));
                    rows++;
                }
            }
        }

        Path log = dir.resolve("export.log"); // removed with the directory
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
                "-cp", System.getProperty("java.class.path"), ExportRunner.class.getName(), dir.toString(),
                String.valueOf(CAMPAIGN.instructions()), String.valueOf(CAMPAIGN.promptsPerInstruction()),
                String.valueOf(CAMPAIGN.responsesPerPrompt()), String.valueOf(CAMPAIGN.responseChars()),
                String.valueOf(CAMPAIGN.seed()), String.valueOf(target), String.valueOf(PART_ROWS), String.valueOf(PART_BYTES))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(30, TimeUnit.MINUTES), "the export finishes");
        String out = Files.readString(log);
        assertEquals(0, child.exitValue(), out);

        long heap = number(out, "maxMemory=(\\d+)");
        long responsesBytes = Files.size(dir.resolve(CampaignKeys.RESPONSES));
        System.out.printf("export JVM heap %,d bytes; responses.jsonl %,d bytes (%.1fx the heap); %s%n", heap,
                responsesBytes, (double) responsesBytes / heap, out.lines().filter(l -> l.startsWith("heartbeats=")).findFirst().orElse(""));
        assertTrue(responsesBytes > heap, "responses.jsonl (" + responsesBytes + ") is larger than the heap (" + heap + ")");
        // The SDK sends at most one heartbeat per 4 s of this 5 s heartbeat timeout, so a fast export (an idle machine)
        // sends one; a slow one lives only by sending more (the timeout would fail its single attempt).
        assertTrue(number(out, "heartbeats=(\\d+)") >= 1, out);
        assertEquals(responses, lines(store, List.of(CampaignKeys.RESPONSES)));

        List<String> parts = DatasetWriter.parts(store, DatasetWriter.SFT_MESSAGES);
        assertTrue(parts.size() > 1, parts.toString());
        MessageDigest actual = MessageDigest.getInstance("SHA-256");
        long exported = 0;
        for (String part : parts) {
            long inPart = 0;
            try (InputStream in = store.open(part)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    actual.update(buffer, 0, n);
                    for (int k = 0; k < n; k++) if (buffer[k] == '\n') inPart++;
                }
            }
            assertTrue(inPart <= PART_ROWS, part + " has " + inPart + " rows");
            exported += inPart;
        }
        assertEquals(target, exported, "the SFT set is cut to exactly the target");
        assertEquals(HexFormat.of().formatHex(expected.digest()), HexFormat.of().formatHex(actual.digest()));
        assertEquals(target, lines(store, DatasetWriter.parts(store, DatasetWriter.SFT_SHAREGPT)));
    }

    private static JsonNode prompt(ArtifactStore store, int index, int prompt) throws Exception {
        String id = CampaignStoreActivitiesImpl.instructionId(SyntheticCampaign.instructionText(index));
        try (InputStream in = store.open(String.format("items/%06d-%s/prompt-%03d.json", index, id, prompt))) {
            return JSON.readTree(in);
        }
    }

    private static long lines(ArtifactStore store, List<String> keys) throws Exception {
        long n = 0;
        for (String key : keys) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(store.open(key), StandardCharsets.UTF_8))) {
                while (in.readLine() != null) n++;
            }
        }
        return n;
    }

    private static long number(String out, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(out);
        assertTrue(m.find(), pattern + " in " + out);
        return Long.parseLong(m.group(1));
    }
}
