package dev.autoif.worker.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.S3TestServer;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.StoreSettings;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.TemporalDevServer;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.campaign.CampaignInput;
import io.temporal.api.history.v1.HistoryEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code autoif campaign start FILE} against a real dev server and a real S3-protocol server, with no worker: the
 * input the workflow was started with (read back from its history) names s3:// objects holding the local files.
 */
@Tag("dev-server")
class CampaignStartCommandTest {
    @TempDir
    Path dir;

    @Test
    void theCampaignStartsWithItsInputsInTheStore() throws Exception {
        Path seeds = Files.writeString(dir.resolve("seeds.jsonl"), "{\"instruction\":\"Answer in capitals.\"}\n");
        Path queries = Files.writeString(dir.resolve("queries.jsonl"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about tea and its history.\"}]}\n");
        Path campaign = Files.writeString(dir.resolve("campaign.json"),
                "{\"seedFile\": \"" + seeds + "\", \"queryFile\": \"" + queries + "\"}");
        String cli = TemporalDevServer.findCli();
        assertNotNull(cli, "the temporal CLI is on PATH (.ci/run installs it)");
        TemporalDevServer.Started temporal = TemporalDevServer.start(cli, dir.resolve("temporal.db"),
                TemporalDevServer.freePort(), null, dir.resolve("temporal.log"));
        temporal.stubs().shutdownNow();
        try (TemporalDevServer server = temporal.server(); S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            s3.createBucket("cluster");
            StoreSettings store = new StoreSettings("s3://cluster/autoif", false, dir.resolve("data"), s3.connection());
            CampaignStartCommand start = new CampaignStartCommand();
            start.campaignFile = campaign;
            start.campaignId = "remote-campaign";
            start.temporalAddress = server.address();
            start.settings = new AutoifSettings(null, "default", null, null, null, 30, 1, "autoif/verifier:1", 1, 256,
                    dir.resolve("data").toString());
            start.store = store;
            assertEquals(0, start.call());
            assertEquals(0, start.call(), "starting the same campaign again is no error (it is not started twice)");

            try (TemporalConnection connection = TemporalConnection.connect(server.address(), "default", null)) {
                HistoryEvent first = connection.client().fetchHistory("remote-campaign").getEvents().get(0);
                var payloads = first.getWorkflowExecutionStartedEventAttributes().getInput();
                CampaignInput sent = WireFormat.dataConverter().fromPayloads(0, Optional.of(payloads), CampaignInput.class,
                        CampaignInput.class);
                ArtifactStores stores = store.stores();
                assertTrue(sent.seedFile().startsWith("s3://cluster/autoif/inputs/sha256-"), sent.seedFile());
                assertTrue(sent.queryFile().startsWith("s3://cluster/autoif/inputs/sha256-"), sent.queryFile());
                var seedObject = stores.object(sent.seedFile());
                assertArrayEquals(Files.readAllBytes(seeds), seedObject.store().read(seedObject.key()));
                var queryObject = stores.object(sent.queryFile());
                assertArrayEquals(Files.readAllBytes(queries), queryObject.store().read(queryObject.key()));
                connection.client().newUntypedWorkflowStub("remote-campaign").terminate("test done");
            }
        }
    }
}
