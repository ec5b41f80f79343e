package dev.autoif.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.dataset.DatasetCard.Funnel;
import dev.autoif.activities.dataset.DatasetWriter.DatasetFile;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.activities.llm.LlmUsage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetCardTest {

    static DatasetCard card(List<DatasetFile> files, Funnel funnel, List<LlmUsage> usage) {
        Map<String, String> models = new LinkedHashMap<>();
        models.put("supervision", "qwen2-72b-instruct");
        models.put("judge", "qwen2-72b-instruct");
        return new DatasetCard("c-42", "reference", funnel, "{\n  \"preset\": \"reference\",\n  \"k\": 8\n}\n", models,
                usage, files);
    }

    static final Funnel FUNNEL = new Funnel(40L, 31L, Map.of("NO_FUNCTION_REACHES_BAR", 6L, "TOO_FEW_FUNCTIONS", 3L),
            3968L, 2210L, 2210L, 1504L, 388L, "TARGET_REACHED: 1504 SFT rows for a target of 1500");

    static final List<LlmUsage> USAGE = List.of(
            new LlmUsage(Stage.S1, LlmRole.SUPERVISION, "qwen2-72b-instruct", 10, 1, 2, 12, 12_000, 30_500, 0.25),
            new LlmUsage(Stage.S8, LlmRole.JUDGE, "qwen2-72b-instruct", 2210, 0, 0, 2210, 1_100_000, 220_000, null));

    @Test
    void rendersTheGivenFactsAndHowToLoadTheFiles(@TempDir Path dir) {
        List<DatasetFile> files = new DatasetWriter().write(dir, DatasetFixtures.sft(), DatasetFixtures.pairs());
        String md = card(files, FUNNEL, USAGE).render();

        assertTrue(md.startsWith("---\npretty_name: \"AutoIF campaign c-42\"\ntags:\n- autoif\n- instruction-following\n"
                + "configs:\n- config_name: sft_alpaca\n  data_files: \"sft_alpaca/*.json\"\n"), md);
        assertTrue(md.contains("# AutoIF instruction-following dataset: campaign `c-42`"), md);
        assertTrue(md.contains("Semantic preset: `reference` (the thresholds of the QwenLM/AutoIF reference code)."), md);
        assertTrue(md.contains("| instructions (seeds + self-instruct, de-duplicated) | 40 |"), md);
        assertTrue(md.contains("| instructions kept (cross-validation, back-translation, consistency) | 31 |"), md);
        assertTrue(md.contains("| responses sampled | 3,968 |\n| responses accepted by the verifiers | 2,210 |\n"
                + "| responses judged | 2,210 |\n| SFT rows | 1,504 |\n| DPO pairs | 388 |\n"), md);
        // reasons sorted, whatever the map order
        assertTrue(md.contains("| `NO_FUNCTION_REACHES_BAR` | 6 |\n| `TOO_FEW_FUNCTIONS` | 3 |\n"), md);
        assertTrue(md.contains("stopped drawing instructions early: `TARGET_REACHED: 1504 SFT rows for a target of 1500`"), md);
        assertTrue(md.contains("| `sft_alpaca/*.json` | LLaMA-Factory alpaca (SFT) | 2 | 1 | `autoif_sft_alpaca` |"), md);
        assertTrue(md.contains("| `dpo_trl/*.jsonl` | TRL preference JSONL (DPO) | 2 | 1 | (not registered) |"), md);
        assertTrue(md.contains("dataset: autoif_sft_alpaca"), md);
        assertTrue(md.contains("# dataset: autoif_dpo "), md);
        assertTrue(md.contains("load_dataset(\"json\", data_files=\"dpo_trl/*.jsonl\", split=\"train\")"), md);
        assertTrue(md.contains("load_dataset(\"json\", data_files=\"sft_messages/*.jsonl\", split=\"train\")"), md);
        assertTrue(md.contains("| judge | `qwen2-72b-instruct` |\n| supervision | `qwen2-72b-instruct` |"), md);
        assertTrue(md.contains("| S1 | supervision | `qwen2-72b-instruct` | 10 | 1 | 2 | 12 | 12,000 | 30,500 | 0.2500 |"), md);
        assertTrue(md.contains("| S8 | judge | `qwen2-72b-instruct` | 2,210 | 0 | 0 | 2,210 | 1,100,000 | 220,000 | no price |"), md);
        assertTrue(md.contains("| **total** |  |  | 2,220 | 1 | 2 | 2,222 | 1,112,000 | 250,500 | 0.2500 (priced models only) |"), md);
        assertTrue(md.endsWith("## Configuration\n\n```json\n{\n  \"preset\": \"reference\",\n  \"k\": 8\n}\n```\n"), md);
        assertEquals(md, card(files, FUNNEL, USAGE).render(), "deterministic");
    }

    @Test
    void unknownCountsAreNotInvented() {
        Funnel partial = new Funnel(40L, 31L, Map.of(), null, null, null, null, null, null);
        String md = card(List.of(), partial, List.of()).render();
        assertTrue(md.contains("| responses sampled | not recorded |"), md);
        assertTrue(md.contains("| DPO pairs | not recorded |"), md);
        assertFalse(md.contains("| DPO pairs | 0 |"), md);
        assertFalse(md.contains("Instructions dropped, by reason"), md);
        assertTrue(md.contains("No LLM usage was recorded."), md);
    }

    @Test
    void tableCellsAreEscaped() {
        List<LlmUsage> odd = List.of(new LlmUsage(Stage.S2, LlmRole.SUPERVISION, "org|model", 1, 0, 0, 1, 1, 1, null));
        String md = new DatasetCard("c", "paper", FUNNEL, "{}", Map.of(), odd, List.of()).render();
        assertTrue(md.contains("`org\\|model`"), md);
        assertTrue(md.contains("Semantic preset: `paper` (the thresholds of the paper)."), md);
        assertTrue(md.contains("| supervision | `org\\|model` |"), "models fall back to the usage table: " + md);
    }

    @Test
    void endpointNotesAreStatedOnceUnderTheUsage() {
        String note = "LLM endpoint http://x/v1 (model 'm') does not honour seed: ...";
        List<LlmUsage> usage = List.of(
                new LlmUsage(Stage.S2, LlmRole.SUPERVISION, "m", 2, 0, 0, 2, 1, 1, null, List.of(note)),
                new LlmUsage(Stage.S4, LlmRole.SUPERVISION, "m", 1, 0, 0, 1, 1, 1, null, List.of(note)));
        String md = new DatasetCard("c", "paper", FUNNEL, "{}", Map.of(), usage, List.of()).render();
        assertTrue(md.contains("### Endpoint behaviour"), md);
        assertEquals(1, md.split(java.util.regex.Pattern.quote(note), -1).length - 1, md);
        String plain = new DatasetCard("c", "paper", FUNNEL, "{}", Map.of(),
                List.of(new LlmUsage(Stage.S2, LlmRole.SUPERVISION, "m", 1, 0, 0, 1, 1, 1, null)), List.of()).render();
        assertFalse(plain.contains("Endpoint behaviour"), plain);
    }
}
