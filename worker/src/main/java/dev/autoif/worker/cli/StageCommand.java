package dev.autoif.worker.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** One method stage run offline on files, for compatibility with the reference pipeline's intermediate data. */
@Command(name = "stage", mixinStandardHelpOptions = true,
        description = "Run a single AutoIF stage on files in the reference repository's formats.",
        subcommands = {CrossValidateCommand.class, JudgeFilterCommand.class, DpoPairsCommand.class})
public class StageCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a stage, e.g. 'cross-validate'");
    }
}
