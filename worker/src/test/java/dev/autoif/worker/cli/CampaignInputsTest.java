package dev.autoif.worker.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.S3Connection;
import dev.autoif.activities.artifacts.S3TestServer;
import dev.autoif.worker.StoreSettings;
import dev.autoif.workflows.campaign.CampaignInput;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client side of "inputs travel through the store", against a real S3-protocol server. */
class CampaignInputsTest {
    @TempDir
    Path dir;

    private String campaignWithLocalInputs() throws Exception {
        Path seeds = Files.writeString(dir.resolve("my seeds.jsonl"), "{\"instruction\":\"Answer in capitals.\"}\n");
        Path queries = Files.writeString(dir.resolve("queries.jsonl"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about tea and its history.\"}]}\n");
        String json = "{\"seedFile\": \"" + seeds + "\", \"queryFile\": \"" + queries + "\"}";
        return CampaignFiles.resolvePaths(json, false, dir.resolve("data"));
    }

    @Test
    void localInputsAreUploadedContentAddressedAndTheCampaignNamesTheObjects() throws Exception {
        try (S3TestServer server = S3TestServer.start(dir.resolve("s3"))) {
            server.createBucket("cluster");
            StoreSettings store = new StoreSettings("s3://cluster/autoif", false, dir.resolve("data"), server.connection());
            String json = campaignWithLocalInputs();
            ByteArrayOutputStream printed = new ByteArrayOutputStream();

            CampaignInput input = CampaignFiles.parse(
                    CampaignInputs.forWorkers(json, store, new PrintStream(printed, true, StandardCharsets.UTF_8)), "test");

            ArtifactStores stores = store.stores();
            byte[] seeds = Files.readAllBytes(dir.resolve("my seeds.jsonl"));
            byte[] queries = Files.readAllBytes(dir.resolve("queries.jsonl"));
            assertEquals("s3://cluster/autoif/inputs/sha256-" + sha256(seeds) + "-my_seeds.jsonl", input.seedFile());
            assertEquals("s3://cluster/autoif/inputs/sha256-" + sha256(queries) + "-queries.jsonl", input.queryFile());
            var seedObject = stores.object(input.seedFile());
            assertArrayEquals(seeds, seedObject.store().read(seedObject.key()));
            var queryObject = stores.object(input.queryFile());
            assertArrayEquals(queries, queryObject.store().read(queryObject.key()));
            assertTrue(printed.toString(StandardCharsets.UTF_8).contains(" -> " + input.seedFile() + "\n"), printed.toString());

            // Again: the same objects, nothing written (the server's files keep their modification times).
            Path objects = dir.resolve("s3/cluster/autoif/inputs");
            FileTime before = Files.getLastModifiedTime(objects.resolve("sha256-" + sha256(seeds) + "-my_seeds.jsonl"));
            Files.setLastModifiedTime(objects.resolve("sha256-" + sha256(seeds) + "-my_seeds.jsonl"), FileTime.fromMillis(0));
            CampaignInputs.Uploaded again = CampaignInputs.upload(json, store.open());
            assertEquals(2, again.uploads().size());
            assertTrue(again.uploads().stream().noneMatch(CampaignInputs.Upload::written), again.uploads().toString());
            assertEquals(FileTime.fromMillis(0),
                    Files.getLastModifiedTime(objects.resolve("sha256-" + sha256(seeds) + "-my_seeds.jsonl")),
                    "the seed object was written again (it was " + before + ")");
            try (Stream<Path> files = Files.list(objects)) {
                assertEquals(2, files.count(), "inputs/ holds one object per distinct content");
            }
            assertEquals(input, CampaignFiles.parse(again.json(), "test"));
        }
    }

    @Test
    void anInputAlreadyInTheStoreStaysAsItIs() throws Exception {
        StoreSettings store = new StoreSettings("", true, dir.resolve("data"), new S3Connection(null, null, false));
        String json = "{\"seedFile\": \"s3://elsewhere/seeds.jsonl\"}";
        CampaignInputs.Uploaded uploaded = CampaignInputs.upload(json, store.open());
        assertTrue(uploaded.uploads().isEmpty());
        assertEquals("s3://elsewhere/seeds.jsonl", CampaignFiles.parse(uploaded.json(), "test").seedFile());
    }

    @Test
    void aLocalStoreLeavesTheCampaignAsItIs() throws Exception {
        StoreSettings store = new StoreSettings("", false, dir.resolve("data"), new S3Connection(null, null, false));
        String json = campaignWithLocalInputs();
        assertEquals(json, CampaignInputs.forWorkers(json, store, new PrintStream(new ByteArrayOutputStream())));
        assertFalse(Files.exists(dir.resolve("data/inputs")));
    }

    @Test
    void aMissingInputFileIsNamed() throws Exception {
        StoreSettings store = new StoreSettings("", true, dir.resolve("data"), new S3Connection(null, null, false));
        String json = "{\"queryFile\": \"" + dir.resolve("nope.jsonl") + "\"}";
        var e = assertThrows(IllegalArgumentException.class, () -> CampaignInputs.upload(json, store.open()));
        assertEquals("queryFile: no such file " + dir.resolve("nope.jsonl"), e.getMessage());
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }
}
