package dev.autoif.worker.cli;

import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.StoreSettings;
import dev.autoif.worker.preflight.Preflight;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check what a campaign needs (Temporal, Docker engine, verifier image, LLM endpoint, store) and "
                + "print one row per check with the fix for each problem. Exit code 1 when a check fails.")
public class DoctorCommand implements Callable<Integer> {
    @Option(names = "--temporal-address", description = "host:port of a Temporal server (default: TEMPORAL_ADDRESS, else "
            + "what `run` would start).")
    String temporalAddress;

    @Inject
    AutoifSettings settings;

    @Inject
    StoreSettings store;

    @Override
    public Integer call() {
        String address = temporalAddress != null ? temporalAddress : settings.temporalAddress();
        List<Preflight.Check> checks = Preflight.all(settings, store, address);
        String format = "%-18s %-5s %s%n";
        System.out.printf(format, "CHECK", "", "DETAIL");
        for (Preflight.Check c : checks) {
            System.out.printf(format, c.name(), c.status() == Preflight.Status.OK ? "ok" : c.status().name(), c.detail());
            if (c.fix() != null) {
                System.out.printf(format, "", "", "fix: " + c.fix());
            }
        }
        return Preflight.firstFailure(checks) == null ? 0 : 1;
    }
}
