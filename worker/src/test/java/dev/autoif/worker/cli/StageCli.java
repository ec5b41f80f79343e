package dev.autoif.worker.cli;

import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs {@code autoif ...} in-process as the packaged CLI does, capturing stdout and stderr. */
record StageCli(int exit, String out, String err) {
    static StageCli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit;
        try (ApplicationContext context = ApplicationContext.builder(AutoifApplication.class, Environment.CLI).start()) {
            exit = new CommandLine(AutoifApplication.class, new MicronautFactory(context))
                    .setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(err, true))
                    .execute(args);
        }
        return new StageCli(exit, out.toString(), err.toString());
    }
}
