package dev.autoif.worker.realmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.WorkerAssembly;
import dev.autoif.worker.temporal.SearchAttributeRegistrar;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.activities.llm.LlmSettings;
import dev.autoif.workflows.activities.dpostore.DpoRoundResult;
import dev.autoif.workflows.dpo.DpoRoundSpec;
import dev.autoif.workflows.dpo.OnlineDpoInput;
import dev.autoif.workflows.dpo.OnlineDpoResult;
import dev.autoif.workflows.dpo.OnlineDpoWorkflow;
import dev.autoif.workflows.dpo.TrainingCommand;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Online DPO for real, two rounds: round 1 samples SmolLM2 from llama.cpp's server; its training command is
 * deploy/training/trl_train.py (TRL's DPOTrainer, 2 steps) writing a Hugging Face checkpoint; round 2 samples that
 * checkpoint from {@code transformers serve} (which loads the model a request names: the checkpoint's path). The
 * round records say which checkpoint each round sampled from. Real Temporal dev server, real sandbox.
 */
@Tag("docker")
@Tag("dev-server")
@Tag("real-model")
class RealOnlineDpoIT {
    static final String ADDRESS = System.getenv().getOrDefault("TEMPORAL_ADDRESS", "localhost:7233");
    static final String IMAGE = System.getenv().getOrDefault("AUTOIF_VERIFIER_IMAGE", "autoif/verifier:1");
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Shortness checks that agree on most answers: a short answer passes all (pass rate 1), a long one none (0), so
     * K answers of one prompt, some short and some not, make pairs (chosen >= 0.5, rejected 0).
     */
    static final List<String> FUNCTIONS = List.of(
            "def evaluate(response):\n    return len(response.split()) <= 8",
            "def evaluate(response):\n    return len(response.split()) <= 10",
            "def evaluate(response):\n    return len(response) <= 60",
            "def evaluate(response):\n    return len(response) <= 80");

    @Test
    void roundOneSamplesLlamaCppRoundTwoSamplesTheTrainedCheckpointFromTransformersServe() throws Exception {
        Path dir = Files.createTempDirectory("autoif-real-dpo");
        Path campaign = Files.createDirectories(dir.resolve("campaign"));
        StringBuilder rows = new StringBuilder();
        List<String> queries = List.of("What is the capital of France?", "Name a colour of the sky.", "What do cats eat?",
                "Why is the sea salty?", "Who wrote Hamlet?");
        for (int i = 0; i < queries.size(); i++) {
            Map<String, Object> row = new HashMap<>();
            row.put("instructionId", "i" + i);
            row.put("instruction", "Answer in at most six words");
            row.put("query", queries.get(i));
            row.put("prompt", queries.get(i) + " Answer in at most six words.");
            row.put("functions", FUNCTIONS);
            rows.append(JSON.writeValueAsString(row)).append('\n');
        }
        Files.writeString(campaign.resolve("prompts.jsonl"), rows.toString());
        Map<String, String> trl = RealModelTools.ensure("ensure-trl-tools.sh");
        Path out = dir.resolve("online-dpo");
        Path round1Checkpoint = out.resolve("round-1/checkpoint");

        try (RealModelTools.Server llama = RealModelTools.llamaServer(dir);
             RealModelTools.Server serve = RealModelTools.transformersServe(null, dir);
             TemporalConnection temporal = TemporalConnection.connect(ADDRESS, "default", null)) {
            SearchAttributeRegistrar.ensureRegistered(temporal.service(), "default");
            AutoifSettings settings = new AutoifSettings(ADDRESS, "default", llama.baseUrl(), null, llama.model(), 600, 2,
                    IMAGE, 2, 512, dir.resolve("data").toString());
            try (WorkerRuntime worker = WorkerAssembly.start(temporal.client(), settings,
                    new LlmDefaults(llama.baseUrl(), null, llama.model(), Duration.ofSeconds(600)))) {
                LlmSettings round1 = new LlmSettings(llama.baseUrl(), llama.model(), null, 1.0, null, 64, null);
                LlmSettings round2 = new LlmSettings(serve.baseUrl(), round1Checkpoint.toString(), null, 1.0, null, 64, null);
                TrainingCommand training = new TrainingCommand(List.of(trl.get("python"),
                        RealModelTools.repoRoot().resolve("deploy/training/trl_train.py").toString(), "dpo", "--max-steps", "2"),
                        20, trainingEnv(trl.get("checkpoint")), null);
                OnlineDpoInput input = new OnlineDpoInput(campaign.toString(),
                        List.of(new DpoRoundSpec(round1), new DpoRoundSpec(round2)), 4, null, training, out.toString(),
                        7L, 2, 5, null, 1000);
                OnlineDpoWorkflow wf = temporal.client().newWorkflowStub(OnlineDpoWorkflow.class, WorkflowOptions.newBuilder()
                        .setWorkflowId("real-dpo-" + UUID.randomUUID()).setTaskQueue(TaskQueues.WORKFLOWS).build());
                long t0 = System.nanoTime();
                OnlineDpoResult result = wf.run(input);
                System.out.printf("[real-dpo] two rounds in %d s%n", (System.nanoTime() - t0) / 1_000_000_000);

                assertEquals(2, result.rounds().size());
                DpoRoundResult r1 = result.rounds().get(0), r2 = result.rounds().get(1);
                for (DpoRoundResult r : result.rounds()) {
                    String log = Files.readString(Path.of(r.trainingLog()));
                    System.out.printf("[real-dpo] round %d: policy %s at %s, sampled checkpoint %s, responses %d "
                                    + "(truncated %d), pairs %d, losses %s, notes %s%n", r.round(), r.policyModel(),
                            r.policyBaseUrl(), r.sampledCheckpoint(), r.responses(), r.truncatedResponses(), r.pairs(),
                            RealModelTools.losses(log), r.llmUsage().stream().flatMap(u -> u.endpointNotes().stream()).toList());
                    assertEquals(0, r.trainingExitCode(), log);
                    assertTrue(r.llmUsage().stream().flatMap(u -> u.endpointNotes().stream()).anyMatch(n -> n.contains("ignores n")),
                            "llama.cpp and transformers serve both answer one choice per request, and the round says so");
                    assertTrue(r.pairs() > 0, "graded checks give pairs: " + r);
                    RealModelTools.assertFinite(RealModelTools.losses(log), 2, log);
                    assertTrue(Files.isRegularFile(Path.of(r.checkpoint(), "model.safetensors")), "checkpoint written: " + log);
                }
                assertNull(r1.sampledCheckpoint(), "round 1 sampled the base model");
                assertEquals(llama.baseUrl(), r1.policyBaseUrl());
                assertEquals(round1Checkpoint.toString(), r1.checkpoint());
                assertEquals(r1.checkpoint(), r2.sampledCheckpoint(), "round 2 sampled round 1's checkpoint");
                assertEquals(serve.baseUrl(), r2.policyBaseUrl());
                assertEquals(r1.checkpoint(), r2.policyModel(), "transformers serve loaded the checkpoint by its path");
                assertTrue(Files.readString(Path.of(r2.checkpoint()).resolveSibling("round.json"))
                        .contains("\"sampledCheckpoint\""), "round.json records it");
            }
        }
    }

    /** Round 1 has no previous checkpoint: trl_train.py then starts from AUTOIF_BASE_MODEL. One thread. */
    static Map<String, String> trainingEnv(String baseModel) {
        Map<String, String> env = new HashMap<>();
        RealModelTools.oneThread(env);
        env.put("AUTOIF_BASE_MODEL", baseModel);
        return env;
    }
}
