package dev.autoif.worker.cli;

import dev.autoif.workflows.crossval.Preset;
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

    /** A stage command's --preset, or a usage error naming the valid presets. */
    static Preset preset(CommandSpec spec, String name) {
        try {
            return Preset.fromWireName(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--preset: " + e.getMessage());
        }
    }
}
