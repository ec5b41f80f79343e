package dev.autoif.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported files load as the training tools load them: deploy/scripts/check-datasets.py reads each with Hugging
 * Face {@code datasets.load_dataset("json", data_files=...)} (what LLaMA-Factory does for local files and what TRL
 * users do) and checks columns, types, roles and the dataset_info.json registry. It runs in the venv that
 * deploy/scripts/ensure-dataset-tools.sh creates; without it this test fails (never skips).
 */
@Tag("python")
class DatasetFormatsTest {
    @Test
    void writtenFilesLoadAsLlamaFactoryAndTrlExpect(@TempDir Path dir) throws Exception {
        new DatasetWriter().write(dir, DatasetFixtures.sft(), DatasetFixtures.pairs());
        DatasetChecker.Run run = DatasetChecker.check(dir);
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("sft_alpaca/*.json: 2 rows, columns ['instruction', 'input', 'output', 'history']"), run.out());
        assertTrue(run.out().contains("dpo_trl/*.jsonl: 2 rows, columns ['prompt', 'chosen', 'rejected']"), run.out());
        assertTrue(run.out().contains("OK: 5 datasets and dataset_info.json"), run.out());
    }

    /**
     * Many parts load as one dataset, in both formats; and after a smaller export over a larger one, the blanked
     * parts ("" and "[]") load as no rows, so the directory holds exactly the new rows.
     */
    @Test
    void partsLoadAsOneDatasetAndBlankedPartsAddNoRows(@TempDir Path dir) throws Exception {
        List<dev.autoif.workflows.dataset.SftExample> sft = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sft.addAll(DatasetFixtures.sft());
        }
        new DatasetWriter(new DatasetWriter.PartLimits(2, 1 << 20)).write(dir, sft, DatasetFixtures.pairs());
        DatasetChecker.Run run = DatasetChecker.check(dir);
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("sft_alpaca/*.json: 10 rows"), run.out());
        assertTrue(run.out().contains("sft_messages/*.jsonl: 10 rows"), run.out());

        new DatasetWriter(new DatasetWriter.PartLimits(2, 1 << 20)).write(dir, sft.subList(0, 3), DatasetFixtures.pairs());
        assertTrue(Files.exists(dir.resolve("sft_alpaca/part-00004.json")), "the stale part is blanked, not deleted");
        run = DatasetChecker.check(dir);
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("sft_alpaca/*.json: 3 rows"), run.out());
        assertTrue(run.out().contains("sft_sharegpt/*.jsonl: 3 rows"), run.out());
    }

    @Test
    void aMissingRejectedColumnIsRejected(@TempDir Path dir) throws Exception {
        new DatasetWriter().write(dir, DatasetFixtures.sft(), DatasetFixtures.pairs());
        Path trl = dir.resolve("dpo_trl/part-00000.jsonl");
        List<String> lines = Files.readAllLines(trl).stream()
                .map(l -> l.replaceAll(",\"rejected\":\"[^\"]*\"", "")).toList();
        Files.write(trl, lines);
        DatasetChecker.Run run = DatasetChecker.check(dir);
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.out().contains("MISMATCH dpo_trl/*.jsonl: columns ['chosen', 'prompt']; expected ['chosen', 'prompt', 'rejected'] (missing ['rejected'])"),
                run.out());
    }

    @Test
    void aBrokenRegistryOrMessageShapeIsRejected(@TempDir Path dir) throws Exception {
        new DatasetWriter().write(dir, DatasetFixtures.sft(), DatasetFixtures.pairs());
        Path info = dir.resolve("dataset_info.json");
        Files.writeString(info, Files.readString(info).replace("\"dpo_llamafactory\"", "\"dpo_pairs\""));
        Path sharegpt = dir.resolve("sft_sharegpt/part-00000.jsonl");
        Files.writeString(sharegpt, Files.readString(sharegpt).replace("\"from\":\"gpt\"", "\"from\":\"assistant\""));
        DatasetChecker.Run run = DatasetChecker.check(dir);
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.out().contains("MISMATCH dataset_info.json['autoif_dpo']: file_name 'dpo_pairs' does not exist"), run.out());
        assertTrue(run.out().contains("MISMATCH sft_sharegpt/*.jsonl: row 0: roles ['human', 'assistant'], expected alternating ['human', 'gpt']"),
                run.out());
    }
}
