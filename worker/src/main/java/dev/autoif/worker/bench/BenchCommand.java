package dev.autoif.worker.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Benchmarks: each prints a ratio against a baseline measured in the same run, as its last line. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks; each prints ratio=<measured/baseline> as its last line.",
        subcommands = {SandboxBenchmark.class, LlmBenchmark.class, RewardBenchmark.class})
public class BenchCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
