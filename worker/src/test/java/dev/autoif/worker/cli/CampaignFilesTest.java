package dev.autoif.worker.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autoif.workflows.WireFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled demo from a directory that has no examples/: what `java -jar autoif.jar run` does anywhere. */
class CampaignFilesTest {
    @Test
    void theDemosQueriesComeOutOfTheJarIntoTheDataDirectory(@TempDir Path dataDir) throws Exception {
        // The tests run in worker/, where examples/demo-queries.jsonl does not resolve.
        assertEquals(false, Files.exists(Path.of(CampaignFiles.DEMO_QUERIES)));
        String resolved = CampaignFiles.resolvePaths(CampaignFiles.demoCampaign(), true, dataDir);
        Path queries = Path.of(WireFormat.objectMapper().readTree(resolved).get("queryFile").asText());
        assertEquals(dataDir.resolve(CampaignFiles.DEMO_QUERIES).toAbsolutePath(), queries);
        assertArrayEquals(Files.readAllBytes(Path.of("..", CampaignFiles.DEMO_QUERIES)), Files.readAllBytes(queries));
    }
}
