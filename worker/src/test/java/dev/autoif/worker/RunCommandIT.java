package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.dataset.DatasetChecker;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * README command 1 as a user runs it: {@code autoif run CAMPAIGN} with no Temporal address and no
 * LLM endpoint, once with the temporal CLI on PATH (durable dev server on SQLite in the data
 * directory) and once without it (in-process server, with a warning).
 */
@Tag("dev-server")
@Tag("docker")
@Tag("python")
class RunCommandIT {
    static final String CAMPAIGN = "{\"seedInstructions\": [\"Use only palindromes\", \"Respond with a six-word story\", "
            + "\"Answer with emoji only\"], \"verifiersPerInstruction\": 8, \"consistency\": \"none\", "
            + "\"queryFile\": \"queries.jsonl\", \"queriesPerInstruction\": 4, \"responsesPerQuery\": 8}";

    record Outcome(int exit, String output) {}

    static Outcome run(Path dir, String path) throws Exception {
        Path campaign = dir.resolve("campaign.json");
        Files.writeString(campaign, CAMPAIGN);
        // A relative query file: `run` resolves it against the working directory, as a user expects.
        Files.copy(Path.of("..", "examples", "demo-queries.jsonl"), dir.resolve("queries.jsonl"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path log = dir.resolve("run.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target", "autoif.jar").toAbsolutePath().toString(), "run", campaign.toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("TEMPORAL_ADDRESS");
        pb.environment().remove("OPENAI_BASE_URL");
        pb.environment().put("PATH", path);
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "autoif run did not finish:\n" + Files.readString(log));
        return new Outcome(p.exitValue(), Files.readString(log));
    }

    static void assertFinished(Outcome o) {
        assertEquals(0, o.exit(), o.output());
        assertTrue(o.output().contains("NO LLM ENDPOINT CONFIGURED: using the SCRIPTED LLM"), o.output());
        assertTrue(o.output().contains("instructions: 3   kept: 3   dropped: 0"), o.output());
        assertTrue(o.output().contains("verifiers.jsonl"), o.output());
        // Stage 2 ran and its datasets load as LLaMA-Factory and TRL load them.
        assertTrue(o.output().contains("queries: 62 usable of 64 records"), o.output());
        Matcher rows = Pattern.compile("prompts: 12 +responses: 96 +SFT rows: (\\d+) +DPO pairs: (\\d+)").matcher(o.output());
        assertTrue(rows.find(), o.output());
        assertTrue(Integer.parseInt(rows.group(1)) > 0 && Integer.parseInt(rows.group(2)) > 0, rows.group());
        Matcher output = Pattern.compile("output: (\\S+)").matcher(o.output());
        assertTrue(output.find(), o.output());
        Path datasets = Path.of(output.group(1));
        assertTrue(o.output().contains(datasets.resolve("sft_alpaca/part-00000.json").toString()), o.output());
        assertTrue(o.output().contains(datasets.resolve("DATASET_CARD.md").toString()), o.output());
        assertTrue(Files.isRegularFile(datasets.resolve("report.html")) && o.output().contains(datasets.resolve("report.html").toString()),
                o.output());
        try {
            DatasetChecker.Run check = DatasetChecker.check(datasets);
            assertEquals(0, check.exit(), check.out());
            assertTrue(check.out().contains("sft_alpaca/*.json: " + rows.group(1) + " rows"), check.out());
            assertTrue(check.out().contains("dpo_trl/*.jsonl: " + rows.group(2) + " rows"), check.out());
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void withTheTemporalCliTheCampaignRunsOnADurableDevServer() throws Exception {
        Path dir = Files.createTempDirectory("autoif-run-dev");
        Outcome o = run(dir, System.getenv("PATH"));
        assertFinished(o);
        assertTrue(o.output().contains("temporal dev server at 127.0.0.1:"), o.output());
        assertTrue(Files.size(dir.resolve("autoif-data").resolve("temporal.db")) > 0, "state persisted in the data dir");

        // Run again: the same campaign is read back from the persisted server, not run anew.
        Outcome again = run(dir, System.getenv("PATH"));
        assertFinished(again);
        assertTrue(again.output().contains("already exists: following it"), again.output());
    }

    @Test
    void withoutTheTemporalCliItFallsBackToTheInProcessServerAndSaysNothingSurvives() throws Exception {
        Path dir = Files.createTempDirectory("autoif-run-inproc");
        String withoutTemporal = Arrays.stream(System.getenv("PATH").split(File.pathSeparator))
                .filter(d -> !new File(d, "temporal").exists())
                .collect(Collectors.joining(File.pathSeparator));
        Outcome o = run(dir, withoutTemporal);
        assertFinished(o);
        assertTrue(o.output().contains("in-process test server (not durable)"), o.output());
        assertTrue(o.output().contains("NOTHING SURVIVES THIS PROCESS"), o.output());
    }
}
