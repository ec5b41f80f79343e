package dev.autoif.worker.export;

import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.dataset.DatasetWriter;
import dev.autoif.activities.store.ExportActivitiesImpl;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.campaign.ExportActivities;
import dev.autoif.workflows.campaign.ExportRequest;
import dev.autoif.workflows.campaign.ExportedFiles;
import dev.autoif.workflows.campaign.CampaignConfig;
import dev.autoif.workflows.campaign.Funnel;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestActivityEnvironment;
import io.temporal.testing.TestEnvironmentOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs the export activity on a synthetic campaign's directory in Temporal's activity test environment (real
 * heartbeats, the worker's data converter). {@link #main} is what the small-heap test runs in a JVM of its own.
 */
public final class ExportRunner {
    private ExportRunner() {}

    /** What one export did: its result and the heartbeats it sent. */
    public record Run(ExportedFiles files, int heartbeats, int lastHeartbeatInstruction) {}

    public static CampaignConfig config(Integer targetSftRows, Integer targetDpoPairs) throws Exception {
        return WireFormat.internalObjectMapper().readValue("{\"preset\":\"REFERENCE\",\"responseStage\":{},\"targetSftRows\":"
                + targetSftRows + ",\"targetDpoPairs\":" + targetDpoPairs + "}", CampaignConfig.class);
    }

    public static Run export(String dir, SyntheticCampaign campaign, CampaignConfig config,
                             DatasetWriter.PartLimits limits) {
        return export(ArtifactStores.filesystemOnly(), dir, campaign, config, limits);
    }

    /** The export of the campaign at {@code location}, opened by {@code stores} (a directory, {@code s3://...}). */
    public static Run export(ArtifactStores stores, String location, SyntheticCampaign campaign, CampaignConfig config,
                             DatasetWriter.PartLimits limits) {
        return export(stores, location, campaign, config, limits, null, progress -> {});
    }

    /**
     * @param retryOf     the heartbeat details a retry gets (the last heartbeat of the failed attempt), or null for a
     *                    first attempt
     * @param onHeartbeat every heartbeat the export sends, as the server records it
     */
    public static Run export(ArtifactStores stores, String location, SyntheticCampaign campaign, CampaignConfig config,
                             DatasetWriter.PartLimits limits, ExportActivitiesImpl.ExportProgress retryOf,
                             Consumer<ExportActivitiesImpl.ExportProgress> onHeartbeat) {
        int kept = (int) java.util.stream.IntStream.range(0, campaign.instructions())
                .filter(i -> !SyntheticCampaign.dropped(i)).count();
        Funnel funnel = new Funnel(campaign.instructions(), campaign.instructions(), kept,
                Map.of("NO_FUNCTION_REACHES_BAR", campaign.instructions() - kept));
        TestActivityEnvironment env = TestActivityEnvironment.newInstance(TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setDataConverter(WireFormat.dataConverter()).build())
                .build());
        try {
            env.registerActivitiesImplementations(new ExportActivitiesImpl(stores, new DatasetWriter(limits)));
            AtomicInteger heartbeats = new AtomicInteger();
            AtomicInteger last = new AtomicInteger(-1);
            env.setActivityHeartbeatListener(ExportActivitiesImpl.ExportProgress.class, p -> {
                heartbeats.incrementAndGet();
                last.set(p.instruction());
                onHeartbeat.accept(p);
            });
            if (retryOf != null) {
                env.setHeartbeatDetails(retryOf);
            }
            ExportActivities export = env.newActivityStub(ExportActivities.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofHours(1))
                    // Short, so a long export must keep heartbeating to live (the campaign's is minutes).
                    .setHeartbeatTimeout(Duration.ofSeconds(5))
                    .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                    .build());
            ExportedFiles files = export.export(new ExportRequest(location, "synthetic", funnel, config,
                    campaign.instructions(), campaign.instructions()));
            return new Run(files, heartbeats.get(), last.get());
        } finally {
            env.close();
        }
    }

    /**
     * Args: DIR INSTRUCTIONS PROMPTS RESPONSES CHARS SEED TARGET_SFT MAX_PART_ROWS MAX_PART_BYTES. The campaign's
     * records must already be in DIR. Prints the heap limit and the heartbeats.
     */
    public static void main(String[] args) throws Exception {
        SyntheticCampaign campaign = new SyntheticCampaign(Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                Integer.parseInt(args[3]), Integer.parseInt(args[4]), Long.parseLong(args[5]));
        Run run = export(args[0], campaign, config(Integer.valueOf(args[6]), null),
                new DatasetWriter.PartLimits(Integer.parseInt(args[7]), Long.parseLong(args[8])));
        System.out.println("maxMemory=" + Runtime.getRuntime().maxMemory());
        System.out.println("heartbeats=" + run.heartbeats() + " last=" + run.lastHeartbeatInstruction());
        System.out.println("files=" + run.files().files().size());
        System.exit(0); // the test environment leaves non-daemon threads behind
    }
}
