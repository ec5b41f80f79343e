package dev.autoif.activities.rlvr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reward service reads its verifiers from wherever the campaign lives: a directory, or an object store (s3proxy
 * over HTTP here), from the campaign's verifiers.jsonl or from an RLVR export's sidecar.
 */
class RewardVerifiersTest {
    private static final String F1 = "def evaluate(response):\n    return response.startswith('B')";
    private static final String F2 = "def evaluate(response):\n    return len(response) < 100";
    private static final String CAMPAIGN_ROW = "{\"instruction_id\":\"i1\",\"instruction\":\"Start with B\","
            + "\"eval_func\":[[\"" + F1.replace("\n", "\\n") + "\",1.0],[\""
            + F2.replace("\n", "\\n") + "\",0.9]]}\n";

    @Test
    void verifiersOfACampaignInAnObjectStore(@TempDir Path dir) throws Exception {
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            s3.createBucket("rewards");
            ArtifactStores stores = new ArtifactStores(Map.of("s3", s3.connection()));
            ArtifactStore campaign = stores.open("s3://rewards/autoif/campaigns/c1");
            campaign.writeString("verifiers.jsonl", CAMPAIGN_ROW);
            assertEquals(Map.of(RlvrExport.sha256(F1), F1, RlvrExport.sha256(F2), F2),
                    RewardScorer.loadVerifiers(stores.open("s3://rewards/autoif/campaigns/c1")));

            // an RLVR export's sidecar wins, and its sha256s are recomputed from the code, never trusted
            campaign.writeString("rlvr/verifiers.jsonl", "{\"sha256\":\"" + RlvrExport.sha256(F1) + "\",\"code\":\""
                    + F2.replace("\n", "\\n") + "\"}\n");
            assertEquals(Map.of(RlvrExport.sha256(F2), F2), RewardScorer.loadVerifiers(campaign));

            var e = assertThrows(IllegalArgumentException.class,
                    () -> RewardScorer.loadVerifiers(stores.open("s3://rewards/autoif/campaigns/none")));
            assertTrue(e.getMessage().contains("s3://rewards/autoif/campaigns/none: no verifiers.jsonl"), e.getMessage());
        }
    }

    @Test
    void verifiersOfACampaignDirectory(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("verifiers.jsonl"), CAMPAIGN_ROW);
        assertEquals(2, RewardScorer.loadVerifiers(ArtifactStores.filesystemOnly().open(dir.toString())).size());
    }
}
