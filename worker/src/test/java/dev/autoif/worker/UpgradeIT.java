package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.campaign.CampaignInput;
import dev.autoif.workflows.campaign.CampaignResult;
import dev.autoif.workflows.campaign.Funnel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Upgrade mid-campaign: a campaign (Stage 1 and Stage 2) starts on a worker built from the pinned earlier commit
 * {@link #EARLIER} of this repository, on a durable dev server of its own; when about half of its instructions are
 * done that worker is stopped as a deploy stops it (SIGTERM) and a worker built from the current tree finishes the
 * campaign: it replays the old worker's histories, runs the activity tasks the old workflow code scheduled, and reads
 * the old records. The outputs must equal those of an undisturbed run on the current tree (run alongside, on its own
 * server), and no completion may be paid twice.
 */
@Tag("dev-server")
@Tag("docker")
class UpgradeIT {
    /** The earlier release: before tolerant payloads, live control and frozen settings. */
    static final String EARLIER = "56f1ade";
    static Path earlierJar;

    private final WorkerCrashIT harness = new WorkerCrashIT();

    /**
     * Builds the earlier commit's worker jar in a git worktree under target/ (package only: nothing is installed in
     * the shared local repository), keeps the jar as target/autoif-EARLIER.jar and removes the worktree; a jar kept by
     * an earlier run of this test is reused.
     */
    @BeforeAll
    static void buildEarlierWorker() throws Exception {
        earlierJar = Path.of("target", "autoif-" + EARLIER + ".jar").toAbsolutePath();
        if (Files.exists(earlierJar)) {
            return;
        }
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path tree = Path.of("target", "upgrade-" + EARLIER).toAbsolutePath();
        run(repo, List.of("git", "worktree", "prune"));
        run(repo, List.of("git", "worktree", "add", "--force", "--detach", tree.toString(), EARLIER));
        try {
            run(tree, List.of("mvn", "-B", "-q", "package", "-DskipTests"), Map.of("JAVA_HOME", System.getProperty("java.home")));
            Files.copy(tree.resolve("worker/target/autoif.jar"), earlierJar);
        } finally {
            run(repo, List.of("git", "worktree", "remove", "--force", tree.toString()));
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        harness.killEverythingStarted();
    }

    @Test
    void aCampaignStartedByTheEarlierWorkerIsFinishedByTheCurrentOneWithTheSameOutputs() throws Exception {
        long t0 = System.nanoTime();
        List<String> seeds = new ArrayList<>();
        WorkerCrashIT.JSON.readTree(CampaignEndToEndTest.DEMO.toFile()).get("seedInstructions").forEach(s -> {
            if (seeds.size() < WorkerCrashIT.DEMO_SEEDS) seeds.add(s.asText());
        });
        CampaignInput input = WorkerCrashIT.campaign(seeds);

        WorkerCrashIT.Run baseline = harness.new Run("upgrade-baseline");
        WorkerCrashIT.Run upgraded = harness.new Run("upgrade");
        WorkerCrashIT.Campaign undisturbed = harness.start(baseline.client, input);
        Process baselineWorker = baseline.startWorker();

        WorkerCrashIT.Campaign campaign = harness.start(upgraded.client, input);
        Process old = upgraded.startWorker(earlierJar);
        int half = seeds.size() / 2;
        Funnel atUpgrade = awaitFinished(upgraded, campaign.id(), half, old);
        upgraded.stop(old); // SIGTERM, as a deploy stops a worker: what it runs finishes, the rest waits
        long servedByOld = upgraded.llm.completionsServed();
        System.out.printf("UpgradeIT: %s worker stopped at %d s with %d of %d instructions finished, %d completions%n",
                EARLIER, seconds(t0), atUpgrade.finished(), atUpgrade.instructions(), servedByOld);
        assertTrue(atUpgrade.finished() < atUpgrade.instructions(), "the campaign finished before the upgrade");
        Process current = upgraded.startWorker();

        CampaignResult expected = undisturbed.result().get(10, TimeUnit.MINUTES);
        baseline.stop(baselineWorker);
        CampaignResult actual = campaign.result().get(10, TimeUnit.MINUTES);
        upgraded.stop(current);

        assertEquals(expected.funnel().counts(), actual.funnel().counts());
        assertTrue(expected.funnel().responses().sftRows() > 0 && expected.funnel().responses().dpoPairs() > 0,
                "Stage 2 produced no rows, so the comparison would prove little: " + expected.funnel());
        Map<String, String> want = WorkerCrashIT.outputs(expected);
        Map<String, String> got = WorkerCrashIT.outputs(actual);
        assertEquals(want.keySet(), got.keySet(), "output files differ");
        for (String file : want.keySet()) {
            assertEquals(want.get(file), got.get(file), file + " differs");
        }
        long repeated = upgraded.llm.repeatedCompletions();
        System.out.printf("UpgradeIT: %d instructions, upgraded after %d; %d completions undisturbed, %d upgraded "
                        + "(%d by the %s worker), %d twice; datasets equal; %d s%n", actual.funnel().instructions(),
                atUpgrade.finished(), baseline.llm.completionsServed(), upgraded.llm.completionsServed(), servedByOld,
                EARLIER, repeated, seconds(t0));
        assertEquals(0, repeated, "a completion was paid twice across the upgrade");
        assertEquals(baseline.llm.completionsServed(), upgraded.llm.completionsServed());
        harness.killEverythingStarted();
        WorkerCrashIT.deleteTree(baseline.dataDir);
        WorkerCrashIT.deleteTree(upgraded.dataDir);
    }

    /** Polls the campaign's {@code funnel} query (which the earlier release has too) until {@code n} are finished. */
    private static Funnel awaitFinished(WorkerCrashIT.Run run, String id, int n, Process worker) throws Exception {
        for (int i = 0; i < 1200; i++) {
            assertTrue(worker.isAlive(), "the " + EARLIER + " worker exited; log " + run.log);
            try {
                Funnel f = run.client.newUntypedWorkflowStub(id).query("funnel", Funnel.class);
                if (f.finished() >= n) {
                    return f;
                }
            } catch (RuntimeException notYet) {
                // the workflow's first task may not have run yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the " + EARLIER + " worker did not finish " + n + " instructions in 5 min; log " + run.log);
    }

    private static long seconds(long since) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
    }

    private static void run(Path dir, List<String> command) throws IOException, InterruptedException {
        run(dir, command, null);
    }

    private static void run(Path dir, List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        if (env != null) pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(15, TimeUnit.MINUTES) && p.exitValue() == 0, String.join(" ", command) + " failed:\n" + out);
    }
}
