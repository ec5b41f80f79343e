package dev.autoif.worker.cli;

import dev.autoif.activities.report.CampaignReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write CAMPAIGN_DIR/report.html again from the campaign's files: a self-contained page (no network "
                + "needed) with the funnels, drop reasons, verifier accuracies, pass rates, judge scores, tokens and cost.")
public class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CAMPAIGN_DIR", description = "A campaign's output directory (holds funnel.json).")
    Path dir;

    @Override
    public Integer call() {
        try {
            System.out.println(CampaignReport.write(dir).toAbsolutePath());
            return 0;
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            System.err.println("autoif report: " + e.getMessage());
            return 2;
        }
    }
}
