package dev.autoif.worker.cli;

import dev.autoif.worker.bench.BenchCommand;
import io.micronaut.configuration.picocli.PicocliRunner;
import picocli.CommandLine.Command;

@Command(name = "autoif", mixinStandardHelpOptions = true,
        description = "AutoIF on Temporal: verifiable instruction-following data from seeds, an LLM and execution feedback.",
        subcommands = {RunCommand.class, CampaignCommand.class, WorkerCommand.class, DoctorCommand.class, ReportCommand.class, FakeLlmCommand.class,
                BenchCommand.class, StageCommand.class, ExportCommand.class, RewardServerCommand.class})
public class AutoifApplication implements Runnable {
    public static void main(String[] args) {
        System.exit(PicocliRunner.execute(AutoifApplication.class, args));
    }

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }
}
