package dev.autoif.worker.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Exports of a finished (or partial) campaign directory into other tools' formats. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a campaign directory for other tools.", subcommands = {RlvrExportCommand.class})
public class ExportCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name an export, e.g. 'rlvr'");
    }
}
