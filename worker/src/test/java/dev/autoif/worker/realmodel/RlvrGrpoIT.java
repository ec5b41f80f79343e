package dev.autoif.worker.realmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real RL trainer on AutoIF rewards: the packaged jar runs the demo campaign, exports it for RLVR
 * ({@code autoif export rlvr}) and serves its verifiers ({@code autoif reward-server}, Docker sandbox); TRL's
 * GRPOTrainer then trains SmolLM2-135M (the TRL venv's checkpoint) for 2 steps with deploy/rlvr/autoif_reward.py
 * calling the service, and every completion of every step gets a reward.
 */
@Tag("python")
@Tag("docker")
class RlvrGrpoIT {
    @Test
    void grpoTrainerGetsARewardForEveryCompletionFromTheService(@TempDir Path dir) throws Exception {
        Map<String, String> trl = RealModelTools.ensure("ensure-trl-tools.sh");
        Path campaign = RealModelTools.scriptedCampaign(dir, null); // the bundled demo
        RealModelTools.Run export = RealModelTools.jar(dir, "export", "rlvr", campaign.toString());
        assertEquals(0, export.exit(), export.out());
        assertTrue(export.out().contains("Stage 2 prompts with pass rates"), export.out());

        int port = RealModelTools.freePort();
        Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                RealModelTools.JAR.toString(), "reward-server", "--verifiers", campaign.toString(), "--port", Integer.toString(port))
                .redirectErrorStream(true).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = lines.readLine()) != null && !line.startsWith("reward service: ")) { }
            assertTrue(line != null, "reward-server exited before serving");
            Thread drain = new Thread(() -> { try { lines.transferTo(java.io.Writer.nullWriter()); } catch (java.io.IOException ignored) { } });
            drain.setDaemon(true);
            drain.start();

            RealModelTools.Run grpo = RealModelTools.run(List.of(trl.get("python"),
                    RealModelTools.repoRoot().resolve("deploy/rlvr/grpo_smoke.py").toString(),
                    campaign.resolve("rlvr/trl.jsonl").toString(), trl.get("checkpoint"), dir.resolve("grpo").toString(), "2"),
                    Map.of("AUTOIF_REWARD_URL", "http://127.0.0.1:" + port), dir, Duration.ofMinutes(15));
            assertEquals(0, grpo.exit(), RealModelTools.tail(grpo.out()));
            assertTrue(grpo.out().contains("GRPO done steps=2"), RealModelTools.tail(grpo.out()));
            Matcher calls = Pattern.compile("rewards n=(\\d+) scored=(\\d+) values=").matcher(grpo.out());
            int rewardCalls = 0;
            while (calls.find()) {
                rewardCalls++;
                assertTrue(Integer.parseInt(calls.group(1)) > 0);
                assertEquals(calls.group(1), calls.group(2), "every completion got a reward: " + calls.group());
            }
            assertEquals(2, rewardCalls, RealModelTools.tail(grpo.out()));
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
