package dev.autoif.activities.dataset;

import dev.autoif.activities.dataset.DatasetWriter.DatasetFile;
import dev.autoif.workflows.activities.llm.LlmUsage;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The dataset card (a README.md with Hugging Face front matter) for one campaign's exported files: what the data is,
 * the funnel that produced it, the files and how LLaMA-Factory and TRL load them, the models, the LLM usage and the
 * campaign configuration. It states only what it is given: a funnel count that is null is shown as "not recorded",
 * never as 0. Rendering is deterministic (maps are sorted by key, lists keep their order).
 *
 * @param campaignId the campaign's id
 * @param preset     the semantic preset's wire name ({@code reference}, {@code paper}, ...)
 * @param funnel     counts per step
 * @param configJson the campaign configuration as JSON text, shown verbatim
 * @param models     model per role (e.g. supervision, judge); may be empty
 * @param usage      LLM usage per (stage, role, model)
 * @param files      what {@link DatasetWriter#write} returned
 */
public record DatasetCard(String campaignId, String preset, Funnel funnel, String configJson,
                          Map<String, String> models, List<LlmUsage> usage, List<DatasetFile> files) {

    /** Counts per funnel step; null when the step did not run or was not counted. */
    public record Funnel(Long instructions, Long instructionsKept, Map<String, Long> droppedByReason,
                         Long responsesSampled, Long responsesPassed, Long responsesJudged, Long sftRows,
                         Long dpoPairs, String stopReason) {}

    private static final String NOT_RECORDED = "not recorded";

    public String render() {
        StringBuilder md = new StringBuilder();
        frontMatter(md);
        md.append("# AutoIF instruction-following dataset: campaign `").append(campaignId).append("`\n\n");
        md.append("Made with AutoIF (\"Self-play with Execution Feedback\", arXiv:2406.13542): instructions whose ")
                .append("Python verifiers were written by an LLM and cross-validated by executing them in a sandbox, ")
                .append("responses kept only when those verifiers accept them and an LLM judge scores them. ")
                .append("Semantic preset: `").append(preset).append("`");
        String presetNote = switch (preset == null ? "" : preset) {
            case "reference" -> " (the thresholds of the QwenLM/AutoIF reference code)";
            case "paper" -> " (the thresholds of the paper)";
            default -> "";
        };
        md.append(presetNote).append(".\n\n");

        funnel(md);
        files(md);
        loading(md);
        models(md);
        usage(md);
        md.append("## Configuration\n\n```json\n").append(configJson == null ? "{}" : configJson.strip())
                .append("\n```\n");
        return md.toString();
    }

    private void frontMatter(StringBuilder md) {
        md.append("---\n");
        md.append("pretty_name: \"AutoIF campaign ").append(campaignId.replace("\"", "'")).append("\"\n");
        md.append("tags:\n- autoif\n- instruction-following\n");
        if (!files.isEmpty()) {
            md.append("configs:\n");
            for (DatasetFile f : files) {
                md.append("- config_name: ").append(f.name()).append('\n');
                md.append("  data_files: \"").append(f.glob()).append("\"\n");
            }
        }
        md.append("---\n\n");
    }

    private void funnel(StringBuilder md) {
        md.append("## Funnel\n\n| step | count |\n| --- | ---: |\n");
        row(md, "instructions (seeds + self-instruct, de-duplicated)", count(funnel.instructions()));
        row(md, "instructions kept (cross-validation, back-translation, consistency)", count(funnel.instructionsKept()));
        row(md, "responses sampled", count(funnel.responsesSampled()));
        row(md, "responses accepted by the verifiers", count(funnel.responsesPassed()));
        row(md, "responses judged", count(funnel.responsesJudged()));
        row(md, "SFT rows", count(funnel.sftRows()));
        row(md, "DPO pairs", count(funnel.dpoPairs()));
        md.append('\n');
        Map<String, Long> dropped = funnel.droppedByReason() == null ? Map.of() : new TreeMap<>(funnel.droppedByReason());
        if (!dropped.isEmpty()) {
            md.append("Instructions dropped, by reason:\n\n| reason | instructions |\n| --- | ---: |\n");
            dropped.forEach((reason, n) -> row(md, "`" + reason + "`", count(n)));
            md.append('\n');
        }
        if (funnel.stopReason() != null) {
            md.append("The campaign stopped drawing instructions early: `").append(funnel.stopReason()).append("`.\n\n");
        }
        md.append("Every sampled response, with its verifier verdicts, judge scores and the reason it was dropped, is in ")
                .append("`responses.jsonl`; each instruction's full lineage is under `items/`.\n\n");
    }

    private void files(StringBuilder md) {
        md.append("## Files\n\n| files | format | rows | parts | LLaMA-Factory `dataset` |\n| --- | --- | ---: | ---: | --- |\n");
        for (DatasetFile f : files) {
            row(md, "`" + f.glob() + "`", f.format(), n(f.rows()), n(f.parts().size()),
                    f.datasetInfoName() == null ? "(not registered)" : "`" + f.datasetInfoName() + "`");
        }
        md.append("\nEach dataset is a directory of parts (`part-00000`, `part-00001`, ...: rows in order, concatenated ")
                .append("they are the whole set); `").append(DatasetWriter.PARTS).append("` lists them. `")
                .append(DatasetWriter.DATASET_INFO).append("` registers the LLaMA-Factory directories.\n\n");
    }

    private void loading(StringBuilder md) {
        md.append("## How to load\n\n");
        md.append("**LLaMA-Factory**: use this directory as `dataset_dir` and name a registered dataset, e.g.\n\n")
                .append("```yaml\ndataset_dir: /path/to/this/directory\n")
                .append("dataset: ").append(DatasetWriter.INFO_SFT_ALPACA).append("   # stage: sft\n")
                .append("# dataset: ").append(DatasetWriter.INFO_DPO).append("   # stage: dpo (pairwise, ranking: true)\n")
                .append("```\n\n");
        md.append("**TRL** (or any `datasets` user):\n\n```python\nfrom datasets import load_dataset\n\n")
                .append("sft = load_dataset(\"json\", data_files=\"").append(DatasetWriter.SFT_MESSAGES)
                .append("/*.jsonl\", split=\"train\")  # SFTTrainer, conversational\n")
                .append("dpo = load_dataset(\"json\", data_files=\"").append(DatasetWriter.DPO_TRL)
                .append("/*.jsonl\", split=\"train\")  # DPOTrainer: prompt, chosen, rejected\n```\n\n");
    }

    private void models(StringBuilder md) {
        Map<String, String> byRole = new TreeMap<>();
        if (models != null) {
            byRole.putAll(models);
        }
        if (byRole.isEmpty() && usage != null) {
            usage.forEach(u -> byRole.merge(u.role().wireName(), u.model(), (a, b) -> a.equals(b) ? a : a + ", " + b));
        }
        if (byRole.isEmpty()) {
            return;
        }
        md.append("## Models\n\n| role | model |\n| --- | --- |\n");
        byRole.forEach((role, model) -> row(md, role, "`" + model + "`"));
        md.append('\n');
    }

    private void usage(StringBuilder md) {
        if (usage == null || usage.isEmpty()) {
            md.append("## LLM usage\n\nNo LLM usage was recorded.\n\n");
            return;
        }
        md.append("## LLM usage\n\n")
                .append("| stage | role | model | requests | retries | cache hits | completions | prompt tokens | completion tokens | cost (USD) |\n")
                .append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        long requests = 0, retries = 0, hits = 0, completions = 0, prompt = 0, completion = 0;
        double cost = 0;
        boolean anyCost = false;
        boolean allCost = true;
        for (LlmUsage u : usage) {
            row(md, u.stage().name(), u.role().wireName(), "`" + u.model() + "`", n(u.requests()), n(u.retries()), n(u.cacheHits()),
                    n(u.completions()), n(u.promptTokens()), n(u.completionTokens()),
                    u.costUsd() == null ? "no price" : usd(u.costUsd()));
            requests += u.requests();
            retries += u.retries();
            hits += u.cacheHits();
            completions += u.completions();
            prompt += u.promptTokens();
            completion += u.completionTokens();
            if (u.costUsd() != null) {
                cost += u.costUsd();
                anyCost = true;
            } else {
                allCost = false;
            }
        }
        row(md, "**total**", "", "", n(requests), n(retries), n(hits), n(completions), n(prompt), n(completion),
                !anyCost ? "no price" : usd(cost) + (allCost ? "" : " (priced models only)"));
        md.append('\n');
        endpointNotes(md);
    }

    /** What the endpoints did differently from the OpenAI API, when it bears on what this data may claim. */
    private void endpointNotes(StringBuilder md) {
        Set<String> notes = new LinkedHashSet<>();
        usage.forEach(u -> {
            if (u.endpointNotes() != null) notes.addAll(u.endpointNotes());
        });
        if (notes.isEmpty()) {
            return;
        }
        md.append("### Endpoint behaviour\n\nNoticed while sampling (reproducibility and sampling claims above are ")
                .append("subject to these):\n\n");
        notes.forEach(note -> md.append("- ").append(note.replace("\n", " ")).append('\n'));
        md.append('\n');
    }

    private static void row(StringBuilder md, String... cells) {
        md.append('|');
        for (String c : cells) {
            md.append(' ').append(c.replace("|", "\\|").replace("\r", " ").replace("\n", " ")).append(" |");
        }
        md.append('\n');
    }

    private static String count(Long n) {
        return n == null ? NOT_RECORDED : n(n);
    }

    private static String n(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String usd(double d) {
        return String.format(Locale.ROOT, "%.4f", d);
    }
}
