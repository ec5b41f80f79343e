package dev.autoif.worker.cli;

import dev.autoif.activities.rlvr.RlvrExport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code autoif export rlvr CAMPAIGN_DIR}: the RLVR datasets of {@link RlvrExport} for TRL, verl, OpenRLHF, open-instruct. */
@Command(name = "rlvr", mixinStandardHelpOptions = true,
        description = "RLVR prompts with verifier references for TRL, verl (parquet), OpenRLHF and open-instruct, "
                + "plus the content-addressed verifier sidecar.")
public class RlvrExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CAMPAIGN_DIR", description = "A campaign directory (responses.jsonl + verifiers.jsonl, or verifiers.jsonl alone).")
    Path campaign;

    @Option(names = "--out", description = "Directory to write (default CAMPAIGN_DIR/rlvr).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path dir = out != null ? out : campaign.resolve(RlvrExport.DIR);
        RlvrExport export = new RlvrExport();
        try {
            RlvrExport.Result r = export.export(campaign, dir);
            stdout.printf("%d prompts (%s), %d verifiers in %s%n", r.rows(),
                    r.fromResponses() ? "Stage 2 prompts with pass rates" : "from verifiers.jsonl alone: instruction as prompt",
                    r.verifiers(), dir.resolve(RlvrExport.SIDECAR));
            stdout.println(export.writeParquet(dir));
            for (String f : new String[] {RlvrExport.TRL, RlvrExport.VERL, RlvrExport.OPENRLHF, RlvrExport.OPEN_INSTRUCT}) {
                stdout.println("wrote " + dir.resolve(f).toAbsolutePath());
            }
            stdout.flush();
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            stdout.flush();
            err.println("autoif export rlvr: " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
