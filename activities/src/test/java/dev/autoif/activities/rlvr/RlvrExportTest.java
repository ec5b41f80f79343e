package dev.autoif.activities.rlvr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.dataset.DatasetChecker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RLVR export of a small campaign directory loads as TRL, verl, OpenRLHF and open-instruct load it
 * (deploy/scripts/check-rlvr.py in the dataset-tools venv: Hugging Face datasets json/parquet loaders), its labels
 * reference the sidecar by sha256, and the Stage 2 pass rates are the means of the samples'.
 */
@Tag("python")
class RlvrExportTest {
    private static final String F1 = "def evaluate(response):\n    return response.startswith('B')";
    private static final String F2 = "def evaluate(response):\n    return len(response) < 100";
    private static final String F3 = "def evaluate(response):\n    return 'stop' in response.lower()";
    private final ObjectMapper json = new ObjectMapper();

    private static Path campaign(Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Files.writeString(dir.resolve("verifiers.jsonl"), String.join("\n",
                json.writeValueAsString(java.util.Map.of("instruction_id", "i1", "instruction", "Start with B",
                        "eval_func", List.of(List.of(F1, 1.0), List.of(F2, 0.9), List.of(F1, 1.0)))),
                json.writeValueAsString(java.util.Map.of("instruction_id", "i2", "instruction", "End with STOP",
                        "eval_func", List.of(List.of(F3, 1.0), List.of(F2, 1.0))))) + "\n");
        StringBuilder responses = new StringBuilder();
        double[][] rates = {{1.0, 0.5, 0.0}, {1.0, 1.0}};
        String[] ids = {"i1", "i2"};
        for (int i = 0; i < 2; i++) {
            for (double r : rates[i]) {
                responses.append(json.writeValueAsString(java.util.Map.of("instruction_id", ids[i], "query", "Q" + i,
                        "prompt", "Q" + i + " instruction " + ids[i], "response", "x", "pass_rate", r))).append('\n');
            }
        }
        // a dropped instruction's samples are not exported
        responses.append("{\"instruction_id\":\"gone\",\"query\":\"Q\",\"prompt\":\"P\",\"pass_rate\":1.0}\n");
        Files.writeString(dir.resolve("responses.jsonl"), responses);
        return dir;
    }

    @Test
    void exportLoadsInEveryTrainersLoaderWithSidecarReferencesAndPassRates(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("rlvr");
        RlvrExport export = new RlvrExport();
        RlvrExport.Result r = export.export(campaign(dir), out);
        assertEquals(2, r.rows());
        assertEquals(3, r.verifiers(), "F1 twice is one content-addressed entry");
        assertTrue(export.writeParquet(out).contains("2 rows"));
        DatasetChecker.Run run = check(out);
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("OK: 4 RLVR files load"), run.out());
        assertTrue(run.out().contains("reward_model struct<style: string, ground_truth: string>"), run.out());

        List<JsonNode> trl = Files.readAllLines(out.resolve(RlvrExport.TRL)).stream().map(this::tree).toList();
        assertEquals(0.5, trl.get(0).get("stage2_pass_rate").asDouble(), 1e-9);
        assertEquals(1.0, trl.get(1).get("stage2_pass_rate").asDouble(), 1e-9);
        JsonNode label = tree(trl.get(0).get("ground_truth").asText());
        assertEquals(List.of(RlvrExport.sha256(F1), RlvrExport.sha256(F2)),
                json.convertValue(label.get("verifiers"), List.class));
        assertFalse(Files.exists(out.resolve(RlvrExport.VERL_ROWS)), "the converter's input is removed");
    }

    @Test
    void fromVerifiersAloneTheInstructionIsThePrompt(@TempDir Path dir) throws Exception {
        campaign(dir);
        Files.delete(dir.resolve("responses.jsonl"));
        Path out = dir.resolve("rlvr");
        RlvrExport export = new RlvrExport();
        RlvrExport.Result r = export.export(dir, out);
        assertFalse(r.fromResponses());
        export.writeParquet(out);
        DatasetChecker.Run run = check(out);
        assertEquals(0, run.exit(), run.out());
        JsonNode row = tree(Files.readAllLines(out.resolve(RlvrExport.OPENRLHF)).get(1));
        assertEquals("End with STOP", row.get("input").get(0).get("content").asText());
    }

    @Test
    void aLabelWhoseVerifierIsNotInTheSidecarIsRejected(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("rlvr");
        RlvrExport export = new RlvrExport();
        export.export(campaign(dir), out);
        export.writeParquet(out);
        Path sidecar = out.resolve(RlvrExport.SIDECAR);
        List<String> lines = Files.readAllLines(sidecar);
        Files.write(sidecar, lines.subList(1, lines.size()));
        DatasetChecker.Run run = check(out);
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.out().contains("MISMATCH openrlhf.jsonl: row 0: verifiers [\"" + RlvrExport.sha256(F1) + "\"] not in the sidecar")
                || run.out().contains("MISMATCH openrlhf.jsonl: row 0: verifiers ['" + RlvrExport.sha256(F1) + "'] not in the sidecar"), run.out());
    }

    @Test
    void aDirectoryWithoutVerifiersIsAOneLineError(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RlvrExport().export(dir, dir.resolve("rlvr")));
        assertTrue(e.getMessage().startsWith("no verifiers.jsonl in "), e.getMessage());
    }

    private JsonNode tree(String s) {
        try {
            return json.readTree(s);
        } catch (Exception e) {
            return fail(e);
        }
    }

    private static DatasetChecker.Run check(Path dir) throws Exception {
        Process p = new ProcessBuilder(DatasetChecker.python().toString(),
                DatasetChecker.repoRoot().resolve("deploy/scripts/check-rlvr.py").toString(), dir.toString())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("check-rlvr.py did not finish in 120 s");
        }
        return new DatasetChecker.Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
