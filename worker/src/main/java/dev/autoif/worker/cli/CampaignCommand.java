package dev.autoif.worker.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Campaigns on a Temporal server whose workers run elsewhere. */
@Command(name = "campaign", mixinStandardHelpOptions = true,
        description = "Campaigns on a remote cluster: `campaign start FILE` uploads its inputs to the store and starts it.",
        subcommands = {CampaignStartCommand.class})
public class CampaignCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: start");
    }
}
