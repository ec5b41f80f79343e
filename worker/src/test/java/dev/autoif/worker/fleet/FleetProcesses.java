package dev.autoif.worker.fleet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts {@link FleetWorkerProcess} JVMs on the test classpath and waits for what they print; kills them at close. */
final class FleetProcesses implements AutoCloseable {
    private final List<Process> started = new ArrayList<>();

    /** Starts one process and waits (up to a minute) until it prints {@code ready}. */
    Process start(String ready, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), FleetWorkerProcess.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        started.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        for (String line; (line = out.readLine()) != null; ) {
            if (line.strip().equals(ready)) {
                // Keep reading what it logs, or a full pipe would block it.
                Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> {}));
                return p;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        throw new IllegalStateException("worker process " + String.join(" ", args) + " did not print " + ready);
    }

    @Override
    public void close() {
        for (Process p : started) {
            p.destroyForcibly();
        }
    }
}
