package dev.autoif.worker.cli;

import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.StoreSettings;
import dev.autoif.worker.preflight.Preflight;
import dev.autoif.worker.temporal.TemporalConnection;
import dev.autoif.workflows.campaign.CampaignInput;
import jakarta.inject.Inject;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "start", mixinStandardHelpOptions = true,
        description = "Start a campaign on a Temporal server whose workers run elsewhere, without waiting for it: its "
                + "seed and query files are uploaded to the artifact store (AUTOIF_STORE) and named by their objects. "
                + "Prints the workflow ID and the `temporal workflow` commands that follow it.")
public class CampaignStartCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CAMPAIGN_JSON", description = "The campaign file.")
    Path campaignFile;

    @Option(names = "--campaign-id", description = "Workflow ID of the campaign (default: derived from the file's content).")
    String campaignId;

    @Option(names = "--temporal-address", description = "host:port (default: TEMPORAL_ADDRESS, else localhost:7233).")
    String temporalAddress;

    @Option(names = "--namespace", description = "Temporal namespace (default: TEMPORAL_NAMESPACE, else default).")
    String namespace;

    @Inject
    AutoifSettings settings;

    @Inject
    StoreSettings store;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        String address = temporalAddress != null ? temporalAddress
                : settings.temporalAddress() != null ? settings.temporalAddress() : "localhost:7233";
        String ns = namespace != null ? namespace : settings.temporalNamespace();
        String json;
        String resolved;
        try {
            json = Files.readString(campaignFile, StandardCharsets.UTF_8);
            CampaignFiles.parse(json, campaignFile.toString());
            resolved = CampaignFiles.resolvePaths(json, false, settings.dataDir());
        } catch (java.io.IOException | IllegalArgumentException e) {
            System.err.println("invalid campaign: " + (e instanceof java.nio.file.NoSuchFileException ? "no such file "
                    + campaignFile : e.getMessage()));
            return 2;
        }
        String localInput = CampaignInputs.FIELDS.stream().filter(f -> CampaignInputs.namesLocalFile(resolved, f))
                .findFirst().orElse(null);
        if (localInput != null && !store.reachableByEveryWorker()) {
            System.err.println("autoif: " + localInput + " names a file on this machine, but the artifact store "
                    + store.location() + " is local, where the cluster's workers cannot read it; set AUTOIF_STORE to "
                    + "the store the workers use (s3://bucket/prefix), or AUTOIF_STORE_SHARED=true if "
                    + store.location() + " is a mount every worker shares");
            return 3;
        }
        Preflight.Check problem = Preflight.firstFailure(List.of(Preflight.store(store), Preflight.temporal(address, ns)));
        if (problem != null) {
            System.err.println("autoif: " + problem.line());
            return 3;
        }
        CampaignInput input;
        try {
            input = CampaignFiles.parse(CampaignInputs.forWorkers(resolved, store, out), campaignFile.toString());
        } catch (IllegalArgumentException | UncheckedIOException e) {
            System.err.println("autoif: " + e.getMessage());
            return 3;
        }
        String id = campaignId != null ? campaignId : CampaignFiles.defaultCampaignId(json);
        try (TemporalConnection connection = TemporalConnection.connect(address, ns, null)) {
            out.println(RunCommand.start(connection.client(), id, input)
                    ? "Started campaign " + id + " on " + address + " (namespace " + ns + ")"
                    : "Campaign " + id + " already exists on " + address + " (namespace " + ns + "): not started again");
        }
        String target = " --workflow-id " + id + " --address " + address + " --namespace " + ns;
        out.println("Follow it with:");
        out.println("  temporal workflow describe" + target);
        out.println("  temporal workflow query" + target + " --name funnel");
        out.println("  temporal workflow result" + target);
        return 0;
    }
}
