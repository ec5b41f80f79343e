package dev.autoif.worker.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.S3TestServer;
import dev.autoif.activities.dataset.DatasetWriter;
import dev.autoif.activities.report.CampaignReport;
import dev.autoif.activities.store.ExportActivitiesImpl;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming export against the files the export before it (one activity building each file in memory, commit
 * 5014c70) wrote for the same synthetic campaign, kept in src/test/resources/export-golden: every lineage file is the
 * same bytes, and every dataset's parts concatenated are its old file's bytes, target cuts included.
 */
class ExportActivitiesTest {
    static final SyntheticCampaign GOLDEN = new SyntheticCampaign(8, 2, 3, 60, 7);

    @Test
    void theStreamedExportWritesWhatTheInMemoryOneWrote(@TempDir Path dir) throws Exception {
        ArtifactStore store = ArtifactStores.filesystemOnly().open(dir.toString());
        GOLDEN.write(store);
        ExportRunner.Run run = ExportRunner.export(dir.toString(), GOLDEN, ExportRunner.config(15, 7),
                new DatasetWriter.PartLimits(4, 1 << 20));

        for (String file : List.of("verifiers.jsonl", "dropped.jsonl", "back_translations.jsonl", "responses.jsonl",
                "prompts.jsonl")) {
            assertArrayEquals(golden(file), Files.readAllBytes(dir.resolve(file)), file);
        }
        for (String dataset : List.of("sft_messages", "sft_sharegpt", "dpo_trl")) {
            List<String> parts = DatasetWriter.parts(store, dataset);
            assertTrue(parts.size() > 1, dataset + " is split at 4 rows: " + parts);
            assertArrayEquals(golden(dataset + ".jsonl"), concatenated(store, parts), dataset);
        }
        // The JSON array sets: one part holding all the rows is the old file byte for byte.
        ExportRunner.export(dir.toString(), GOLDEN, ExportRunner.config(15, 7), DatasetWriter.PartLimits.DEFAULT);
        for (String dataset : List.of("sft_alpaca", "dpo_llamafactory")) {
            assertEquals(List.of(dataset + "/part-00000.json"), DatasetWriter.parts(store, dataset).subList(0, 1));
            assertArrayEquals(golden(dataset + ".json"), store.read(dataset + "/part-00000.json"), dataset);
        }
        assertTrue(run.heartbeats() >= 1, "heartbeats (the SDK throttles them to a few per heartbeat timeout)");
        assertTrue(run.files().files().contains(dir.resolve("sft_messages/part-00000.jsonl").toString()), run.files().toString());
        assertTrue(Files.readString(dir.resolve("DATASET_CARD.md")).contains("| SFT rows | 15 |"));
    }

    /**
     * A campaign whose store is S3 (s3proxy, a real S3-protocol server) exports what a directory's export does, and
     * gets its report.html in the bucket.
     */
    @Test
    void anS3CampaignExportsTheSameFilesAndItsReport(@TempDir Path tmp) throws Exception {
        try (S3TestServer s3 = S3TestServer.start(tmp.resolve("s3"))) {
            s3.createBucket("campaigns");
            ArtifactStores stores = new ArtifactStores(Map.of("s3", s3.connection()));
            ArtifactStore store = stores.open("s3://campaigns/golden");
            GOLDEN.write(store);
            ExportRunner.Run run = ExportRunner.export(stores, store.location(), GOLDEN, ExportRunner.config(15, 7),
                    new DatasetWriter.PartLimits(4, 1 << 20));
            for (String file : List.of("verifiers.jsonl", "dropped.jsonl", "responses.jsonl", "prompts.jsonl")) {
                assertArrayEquals(golden(file), store.read(file), file);
            }
            assertArrayEquals(golden("sft_messages.jsonl"), concatenated(store, DatasetWriter.parts(store, "sft_messages")));
            assertTrue(run.files().files().contains("s3://campaigns/golden/report.html"), run.files().toString());
            String report = store.readString("report.html");
            assertTrue(report.contains("\"campaign\":\"synthetic\""), "the page charts this campaign");
            assertTrue(report.contains("items/000003-"), "the dropped instruction 3 is listed with its record");
        }
    }

    /**
     * An export that dies after committing some dataset parts, retried with the last heartbeat it sent (what the server
     * hands the next attempt), writes none of the parts that heartbeat reports committed again, writes the others, and
     * ends with every file byte-identical to an export that never failed.
     */
    @Test
    void aRetriedExportSkipsThePartsItsLastHeartbeatReportsCommitted(@TempDir Path tmp) throws Exception {
        DatasetWriter.PartLimits smallParts = new DatasetWriter.PartLimits(2, 1 << 20);
        Path uninterrupted = tmp.resolve("uninterrupted");
        GOLDEN.write(ArtifactStores.filesystemOnly().open(uninterrupted.toString()));
        ExportRunner.export(uninterrupted.toString(), GOLDEN, ExportRunner.config(15, 7), smallParts);

        Path retried = tmp.resolve("retried");
        ArtifactStore dir = ArtifactStores.filesystemOnly().open(retried.toString());
        GOLDEN.write(dir);
        String failing = "sft_messages/part-00004.jsonl";
        // the pause outlasts the SDK's heartbeat throttle (4/5 of the 5 s heartbeat timeout): the latest progress is sent
        CountingStore first = new CountingStore(dir, failing, Duration.ofSeconds(6));
        AtomicReference<ExportActivitiesImpl.ExportProgress> lastHeartbeat = new AtomicReference<>();
        assertThrows(ActivityFailure.class, () -> ExportRunner.export(stores(first), "counted://first", GOLDEN,
                ExportRunner.config(15, 7), smallParts, null, lastHeartbeat::set));
        assertTrue(Files.notExists(retried.resolve(failing)));
        ExportActivitiesImpl.ExportProgress progress = lastHeartbeat.get();
        Map<String, Integer> committed = progress.committedParts();
        assertTrue(committed.get("sft_messages") >= 1 && committed.get("sft_messages") <= 4, "parts before the failed one: " + progress);

        CountingStore second = new CountingStore(dir, null, Duration.ZERO);
        ExportRunner.export(stores(second), "counted://second", GOLDEN, ExportRunner.config(15, 7), smallParts, progress, p -> {});
        int skipped = 0;
        for (String dataset : List.of(DatasetWriter.SFT_ALPACA, DatasetWriter.SFT_MESSAGES, DatasetWriter.SFT_SHAREGPT,
                DatasetWriter.DPO_TRL, DatasetWriter.DPO_LLAMAFACTORY)) {
            List<String> parts = DatasetWriter.parts(dir, dataset);
            int before = committed.get(dataset);
            assertTrue(before <= parts.size(), dataset + ": " + before + " of " + parts);
            for (int i = 0; i < parts.size(); i++) {
                String part = parts.get(i);
                if (i < before) {
                    assertEquals(1, first.commits(part), part + " was committed by the first attempt");
                    assertEquals(0, second.commits(part), part + " was committed before the retry, which wrote it again");
                    skipped++;
                } else {
                    assertEquals(1, second.commits(part), part + " is the retry's to write");
                }
            }
        }
        assertTrue(skipped >= 4, "parts skipped: " + skipped);
        assertSameFiles(uninterrupted, retried);
    }

    /** Every file of {@code expected} is in {@code actual} with the same bytes, and no other (report.html aside: it charts the records' times). */
    static void assertSameFiles(Path expected, Path actual) throws Exception {
        List<Path> files;
        try (var walk = Files.walk(expected)) {
            files = walk.filter(Files::isRegularFile).map(expected::relativize)
                    .filter(p -> !p.toString().equals(CampaignReport.FILE)).sorted().toList();
        }
        try (var walk = Files.walk(actual)) {
            assertEquals(files, walk.filter(Files::isRegularFile).map(actual::relativize)
                    .filter(p -> !p.toString().equals(CampaignReport.FILE)).sorted().toList());
        }
        for (Path file : files) {
            assertArrayEquals(Files.readAllBytes(expected.resolve(file)), Files.readAllBytes(actual.resolve(file)), file.toString());
        }
    }

    static ArtifactStores stores(ArtifactStore store) {
        return new ArtifactStores(Map.of("counted", location -> store));
    }

    @Test
    void aMissingRecordFailsTheExportNamingIt(@TempDir Path dir) throws Exception {
        GOLDEN.write(ArtifactStores.filesystemOnly().open(dir.toString()));
        Path lost;
        try (var prompts = Files.list(dir.resolve("items"))) {
            lost = prompts.filter(p -> p.getFileName().toString().startsWith("000005-")).filter(Files::isDirectory)
                    .findFirst().orElseThrow().resolve("prompt-001.json");
        }
        Files.delete(lost);
        ActivityFailure failure = assertThrows(ActivityFailure.class, () -> ExportRunner.export(dir.toString(), GOLDEN,
                ExportRunner.config(null, null), DatasetWriter.PartLimits.DEFAULT));
        ApplicationFailure cause = (ApplicationFailure) failure.getCause();
        assertTrue(cause.isNonRetryable(), "a lost record does not come back by retrying");
        assertTrue(cause.getOriginalMessage().contains("the record of instruction 5 is missing: " + lost), cause.getOriginalMessage());
        assertTrue(Files.notExists(dir.resolve("responses.jsonl")), "no lineage file is published without its rows");
    }

    static byte[] golden(String file) throws Exception {
        try (InputStream in = ExportActivitiesTest.class.getResourceAsStream("/export-golden/" + file)) {
            return in.readAllBytes();
        }
    }

    static byte[] concatenated(ArtifactStore store, List<String> parts) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String part : parts) {
            all.write(store.read(part));
        }
        return all.toByteArray();
    }
}
