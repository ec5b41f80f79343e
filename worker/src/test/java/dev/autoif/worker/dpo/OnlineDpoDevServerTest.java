package dev.autoif.worker.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.WorkerAssembly;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import dev.autoif.worker.temporal.SearchAttributeRegistrar;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.worker.temporal.WorkerRuntime;
import dev.autoif.workflows.TaskQueues;
import dev.autoif.workflows.dpo.DpoRoundSpec;
import dev.autoif.workflows.dpo.OnlineDpoInput;
import dev.autoif.workflows.dpo.OnlineDpoResult;
import dev.autoif.workflows.dpo.OnlineDpoWorkflow;
import dev.autoif.workflows.dpo.TrainingCommand;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An online DPO round on a real Temporal server (TEMPORAL_ADDRESS) with the worker assembled as {@code autoif worker}
 * assembles it and the scripted LLM over HTTP: OnlineDpoWorkflowTest runs on the in-process test server, and a round
 * had been seen hanging in SampleResponses on a dev server. The histories of this test's run are ReplayTest's
 * online-dpo-*.json.gz.
 */
@Tag("dev-server")
@Tag("docker")
class OnlineDpoDevServerTest {
    @Test
    void oneRoundOnADevServer() throws Exception {
        String address = System.getenv().getOrDefault("TEMPORAL_ADDRESS", "localhost:7233");
        Path dir = Files.createTempDirectory("autoif-dpo-dev");
        Path campaignDir = Files.createDirectories(dir.resolve("campaign"));
        OnlineDpoWorkflowTest.writePrompts(campaignDir, 3);
        Path train = dir.resolve("train.sh");
        Files.writeString(train, "#!/bin/bash\nmkdir -p \"$AUTOIF_DPO_OUTPUT_DIR\"; echo '{}' > \"$AUTOIF_DPO_OUTPUT_DIR/config.json\"\n");
        try (ScriptedLlmServer llm = new ScriptedLlmServer("127.0.0.1", 0, FixtureBook.load());
             TemporalConnection temporal = TemporalConnection.connect(address, "default", null)) {
            SearchAttributeRegistrar.ensureRegistered(temporal.service(), "default");
            AutoifSettings settings = new AutoifSettings(address, "default", llm.baseUrl(), null, ScriptedLlmServer.MODEL,
                    60, 8, OnlineDpoWorkflowTest.IMAGE, 2, 512, dir.resolve("data").toString());
            try (WorkerRuntime worker = WorkerAssembly.start(temporal.client(), settings,
                    new LlmDefaults(llm.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(60)))) {
                OnlineDpoInput input = new OnlineDpoInput(campaignDir.toString(),
                        List.of(new DpoRoundSpec(OnlineDpoWorkflowTest.policy(llm))), OnlineDpoWorkflowTest.K, null,
                        new TrainingCommand(List.of("bash", train.toString()), 5, Map.of(), null),
                        dir.resolve("online").toString(), 42L, 2, null, 1, 50);
                String id = "dpo-dev-" + UUID.randomUUID();
                OnlineDpoWorkflow wf = temporal.client().newWorkflowStub(OnlineDpoWorkflow.class,
                        WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(TaskQueues.WORKFLOWS).build());
                io.temporal.client.WorkflowClient.start(wf::run, input);
                // A hang fails here, after two minutes, instead of blocking the build.
                OnlineDpoResult result = io.temporal.client.WorkflowStub.fromTyped(wf)
                        .getResult(2, TimeUnit.MINUTES, OnlineDpoResult.class);
                assertEquals(1, result.rounds().size());
                assertEquals(0, result.rounds().get(0).promptsFailed(), String.valueOf(result.rounds().get(0).failures()));
                assertEquals(3L * OnlineDpoWorkflowTest.K, result.rounds().get(0).responses());
                assertEquals(3L * OnlineDpoWorkflowTest.K, llm.completionsServed());
                assertEquals(0, result.rounds().get(0).trainingExitCode());
            }
        }
    }
}
