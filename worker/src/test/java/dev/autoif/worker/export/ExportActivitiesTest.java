package dev.autoif.worker.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.S3TestServer;
import dev.autoif.activities.dataset.DatasetWriter;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
