package dev.autoif.worker.cli;

import dev.autoif.activities.report.CampaignReport;
import dev.autoif.worker.StoreSettings;
import jakarta.inject.Inject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write CAMPAIGN/report.html again from the campaign's artifacts: a self-contained page (no network "
                + "needed) with the funnels, drop reasons, verifier accuracies, pass rates, judge scores, tokens and cost.")
public class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CAMPAIGN", description = "A campaign's output directory, or its s3://bucket/prefix "
            + "on the S3 server of AUTOIF_S3_ENDPOINT (holds funnel.json).")
    String campaign;

    @Inject
    StoreSettings store;

    @Override
    public Integer call() {
        try {
            System.out.println(CampaignReport.write(store.stores().open(campaign), instruction -> {}));
            return 0;
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            System.err.println("autoif report: " + e.getMessage());
            return 2;
        }
    }
}
