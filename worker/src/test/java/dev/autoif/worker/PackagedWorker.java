package dev.autoif.worker;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code java -jar autoif.jar worker} in a process of its own, as the process tests (crash, upgrade, multi-host) run it. */
final class PackagedWorker {
    /** The jar {@code mvn package} builds from this tree. */
    static final Path JAR = Path.of("target", "autoif.jar");

    private PackagedWorker() {}

    /**
     * Starts {@code java -jar JAR worker} with {@code environment} (plus a free AUTOIF_HTTP_PORT), its output appended
     * to {@code log}, adds it to {@code started} and waits until it polls. A worker that exits because it could not
     * reach Temporal in time (DEADLINE_EXCEEDED: the 56f1ade worker gives up after about 4 s, which a machine at load
     * 25-33 on 2 cores exceeded) is started again, as a supervisor would.
     */
    static Process start(Path jar, Path log, Map<String, String> environment, List<Process> started) throws Exception {
        for (int attempt = 1; ; attempt++) {
            long logged = Files.exists(log) ? Files.size(log) : 0;
            Process worker = launch(jar, log, environment);
            started.add(worker);
            // Up to 5 min: on a loaded machine a shaded worker jar took over a minute to start.
            for (int i = 0; i < 1200; i++) {
                String output = Files.readString(log).substring((int) logged);
                if (output.contains("autoif worker connected")) {
                    return worker;
                }
                if (!worker.isAlive()) {
                    if (attempt < 3 && output.contains("DEADLINE_EXCEEDED")) {
                        break;
                    }
                    throw new AssertionError("worker exited early:\n" + Files.readString(log));
                }
                Thread.sleep(250);
            }
            if (worker.isAlive()) {
                throw new AssertionError("worker did not connect:\n" + Files.readString(log));
            }
        }
    }

    private static Process launch(Path jar, Path log, Map<String, String> environment) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "worker")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(environment);
        pb.environment().put("AUTOIF_HTTP_PORT", Integer.toString(port));
        return pb.start();
    }
}
