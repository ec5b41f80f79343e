package dev.autoif.worker.realmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.dataset.DatasetWriter;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.SftExample;
import dev.autoif.workflows.dataset.SftPrompt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real trainers on the files the product exports, loaded exactly as the README tells users: TRL's DPOTrainer on
 * dpo_trl/ and SFTTrainer on sft_messages/ (directories of parts) (SmolLM2's chat template, from the checkpoint's tokenizer), via
 * deploy/training/trl_train.py; {@code llamafactory-cli train} with deploy/training/llamafactory-{sft,dpo}.yaml, the
 * campaign directory as dataset_dir and our dataset_info.json. Two steps each on SmolLM2-135M, CPU, one thread.
 */
@Tag("real-model")
class RealTrainersIT {
    static final Duration TRAINING = Duration.ofMinutes(10);

    @TempDir
    static Path work;
    static Path campaign;
    static Map<String, String> trl;

    @BeforeAll
    static void export() throws Exception {
        trl = RealModelTools.ensure("ensure-trl-tools.sh");
        campaign = Files.createDirectories(work.resolve("campaign"));
        String i1 = "Answer in exactly two lines", q1 = "What is \"Dead by Daylight\"?";
        String i2 = "Keep your response under twenty-five words", q2 = "what is the best mbti";
        List<SftExample> sft = List.of(
                new SftExample("ins-1", i1, q1, SftPrompt.reference(q1, i1), "A horror game.\nFour flee one killer — café 🐱.",
                        1.0, List.of(9.0)),
                new SftExample("ins-2", i2, q2, SftPrompt.reference(q2, i2), "There is no best type; each has strengths.",
                        1.0, List.of(9.0, 10.0)));
        List<PreferencePair> pairs = List.of(
                new PreferencePair("ins-1", SftPrompt.reference(q1, i1), "A horror game.\nOne killer, four survivors.",
                        "A horror game with one killer and four survivors.", 1.0, 0.0, PreferencePair.RESPONSE_LEVEL),
                new PreferencePair("ins-2", SftPrompt.reference(q2, i2), "None is best.",
                        "The best MBTI type is a question that many people ask, and the answer depends on a lot.", 1.0,
                        0.0, PreferencePair.RESPONSE_LEVEL));
        new DatasetWriter().write(campaign, sft, pairs);
    }

    private static RealModelTools.Run trlTrain(String kind, String file) throws Exception {
        Path out = work.resolve("trl-" + kind);
        RealModelTools.Run run = RealModelTools.run(List.of(trl.get("python"),
                RealModelTools.repoRoot().resolve("deploy/training/trl_train.py").toString(), kind,
                "--data", campaign.resolve(file).toString(), "--model", trl.get("checkpoint"),
                "--output", out.toString(), "--max-steps", "2"), Map.of(), work, TRAINING);
        assertEquals(0, run.exit(), run.out());
        RealModelTools.assertFinite(RealModelTools.losses(run.out()), 2, run.out());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")), "a checkpoint was written: " + run.out());
        System.out.println("[real-trainers] TRL " + kind + " losses " + RealModelTools.losses(run.out()));
        return run;
    }

    @Test
    void trlDpoTrainerTrainsOnDpoTrlJsonl() throws Exception {
        trlTrain("dpo", DatasetWriter.DPO_TRL);
    }

    @Test
    void trlSftTrainerTrainsOnSftMessagesWithTheModelsChatTemplate() throws Exception {
        assertTrue(Files.isRegularFile(Path.of(trl.get("checkpoint"), "chat_template.jinja")), "SmolLM2's chat template");
        trlTrain("sft", DatasetWriter.SFT_MESSAGES);
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
            Path config = work.resolve("llamafactory-" + stage + ".yaml");
            Files.writeString(config, yaml);
            RealModelTools.Run run = RealModelTools.run(List.of(cli.toString(), "train", config.toString()),
                    Map.of("DISABLE_VERSION_CHECK", "1", "CUDA_VISIBLE_DEVICES", ""), work, TRAINING);
            assertEquals(0, run.exit(), run.out());
            List<Double> losses = RealModelTools.losses(run.out());
            RealModelTools.assertFinite(losses, 2, run.out());
            assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")), "a LoRA adapter: " + RealModelTools.tail(run.out()));
            System.out.println("[real-trainers] LLaMA-Factory " + stage + " losses " + losses);
        }
    }
}
