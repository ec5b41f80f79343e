package dev.autoif.worker.realmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.dataset.DatasetWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real trainers on a campaign's own output, read exactly as the README tells users: the packaged jar runs a small
 * campaign (the bundled demo's first seeds, scripted LLM, embedded Temporal, Docker sandbox, S1 to S9 with DPO
 * pairs), and its output directory, as it is, is the training input: TRL's DPOTrainer on its TRL preference file and
 * SFTTrainer on the file its {@code dataset_info.json} registers as {@code autoif_sft_messages} (SmolLM2's chat
 * template, from the checkpoint's tokenizer), via deploy/training/trl_train.py; {@code llamafactory-cli train} with
 * deploy/training/llamafactory-{sft,dpo}.yaml, the campaign directory as dataset_dir. Two steps each on SmolLM2-135M,
 * CPU, one thread; the losses are printed ("[real-trainers]").
 */
@Tag("real-model")
@Tag("docker")
class RealTrainersIT {
    static final Duration TRAINING = Duration.ofMinutes(10);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    static Path campaign;
    static JsonNode datasetInfo;
    static Map<String, String> trl;

    @BeforeAll
    static void runACampaign() throws Exception {
        trl = RealModelTools.ensure("ensure-trl-tools.sh");
        // The demo campaign cut to six seeds and fewer samples: enough for a few SFT rows and DPO pairs in a minute or two.
        Path demo = RealModelTools.repoRoot().resolve("examples/demo-campaign.json");
        ObjectNode input = (ObjectNode) JSON.readTree(demo.toFile());
        ArrayNode seeds = (ArrayNode) input.get("seedInstructions");
        while (seeds.size() > 6) {
            seeds.remove(seeds.size() - 1);
        }
        input.put("queryFile", demo.resolveSibling("demo-queries.jsonl").toString())
                .put("verifiersPerInstruction", 4).put("maxConcurrentInstructions", 2)
                .put("queriesPerInstruction", 2).put("maxQueryUses", 2).put("responsesPerQuery", 4);
        Path file = work.resolve("small-demo-campaign.json");
        JSON.writeValue(file.toFile(), input);
        campaign = RealModelTools.scriptedCampaign(work, file);
        datasetInfo = JSON.readTree(campaign.resolve(DatasetWriter.DATASET_INFO).toFile());
        System.out.println("[real-trainers] campaign output " + campaign + ": SFT rows " + rows(registered(DatasetWriter.INFO_SFT_MESSAGES))
                + ", DPO pairs " + rows(campaign.resolve(DatasetWriter.DPO_TRL)));
    }

    /** The file (or part-file directory) that dataset_info.json registers under {@code name}, as LLaMA-Factory finds it. */
    static Path registered(String name) {
        JsonNode entry = datasetInfo.path(name);
        assertTrue(entry.path("file_name").isTextual(), name + " is not registered in dataset_info.json: " + datasetInfo);
        Path path = campaign.resolve(entry.get("file_name").asText());
        assertTrue(Files.exists(path), "dataset_info.json names " + path + ", which is not there");
        return path;
    }

    /** Rows of a JSON Lines file, or of the *.jsonl part files of a directory. */
    static long rows(Path data) throws Exception {
        try (Stream<Path> files = Files.isDirectory(data) ? Files.list(data).filter(p -> p.toString().endsWith(".jsonl"))
                : Stream.of(data)) {
            long n = 0;
            for (Path f : files.toList()) {
                n += Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
            }
            return n;
        }
    }

    private static void trlTrain(String kind, Path data) throws Exception {
        assertTrue(rows(data) >= 2, "the campaign wrote fewer than 2 rows to " + data + ": nothing to train 2 steps on");
        Path out = work.resolve("trl-" + kind);
        RealModelTools.Run run = RealModelTools.run(List.of(trl.get("python"),
                RealModelTools.repoRoot().resolve("deploy/training/trl_train.py").toString(), kind,
                "--data", data.toString(), "--model", trl.get("checkpoint"),
                "--output", out.toString(), "--max-steps", "2"), Map.of(), work, TRAINING);
        assertEquals(0, run.exit(), run.out());
        RealModelTools.assertFinite(RealModelTools.losses(run.out()), 2, run.out());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")), "a checkpoint was written: " + run.out());
        System.out.println("[real-trainers] TRL " + kind + " on " + campaign.relativize(data) + ": losses "
                + RealModelTools.losses(run.out()));
    }

    @Test
    void trlDpoTrainerTrainsOnTheCampaignsPreferencePairs() throws Exception {
        // TRL's file is not LLaMA-Factory's to register: it sits under its documented name next to dataset_info.json.
        trlTrain("dpo", campaign.resolve(DatasetWriter.DPO_TRL));
    }

    @Test
    void trlSftTrainerTrainsOnTheCampaignsMessagesWithTheModelsChatTemplate() throws Exception {
        assertTrue(Files.isRegularFile(Path.of(trl.get("checkpoint"), "chat_template.jinja")), "SmolLM2's chat template");
        trlTrain("sft", registered(DatasetWriter.INFO_SFT_MESSAGES));
    }

    @Test
    void llamaFactoryTrainsSftAndDpoWithTheCampaignDirAsDatasetDir() throws Exception {
        Map<String, String> lf = RealModelTools.ensure("ensure-llamafactory.sh");
        Path cli = Path.of(lf.get("python")).resolveSibling("llamafactory-cli");
        for (String stage : List.of("sft", "dpo")) {
            Path out = work.resolve("llamafactory-" + stage);
            // The shipped YAML with its three paths filled in, as the README tells a user to do, plus a 2-step cap.
            String yaml = Files.readString(RealModelTools.repoRoot().resolve("deploy/training/llamafactory-" + stage + ".yaml"))
                    .replace("/path/to/base-model", trl.get("checkpoint"))
                    .replace("/path/to/campaign-output", campaign.toString())
                    .replace("/path/to/output", out.toString()) + "max_steps: 2\n";
            Matcher dataset = Pattern.compile("(?m)^dataset: (\\S+)").matcher(yaml);
            assertTrue(dataset.find(), yaml);
            registered(dataset.group(1)); // the YAML's dataset is one the campaign registered
            Path config = work.resolve("llamafactory-" + stage + ".yaml");
            Files.writeString(config, yaml);
            RealModelTools.Run run = RealModelTools.run(List.of(cli.toString(), "train", config.toString()),
                    Map.of("DISABLE_VERSION_CHECK", "1", "CUDA_VISIBLE_DEVICES", ""), work, TRAINING);
            assertEquals(0, run.exit(), run.out());
            List<Double> losses = RealModelTools.losses(run.out());
            RealModelTools.assertFinite(losses, 2, run.out());
            assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")), "a LoRA adapter: " + RealModelTools.tail(run.out()));
            System.out.println("[real-trainers] LLaMA-Factory " + stage + " on dataset " + dataset.group(1) + ": losses " + losses);
        }
    }
}
