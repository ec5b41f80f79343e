package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.worker.temporal.TemporalDevServer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * README command 1 on a machine whose Docker engine is not there (DOCKER_HOST names a socket where nothing listens),
 * run from a directory that is not the repository: {@code ./autoif run} stops within 30 s with one line naming Docker
 * and the fix, no stack trace and no JDK warning; and a worker whose Temporal server is not there, or whose store is
 * an undeclared local directory, stops the same way.
 * Needs only the packaged jar and bash: it runs in every tier.
 */
class PreflightIT {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    record Outcome(int exit, List<String> lines) {}

    static Outcome run(Path dir, ProcessBuilder pb) throws Exception {
        Path log = dir.resolve("out.log");
        pb.directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("TEMPORAL_ADDRESS");
        pb.environment().remove("OPENAI_BASE_URL");
        Process p = pb.start();
        boolean done = p.waitFor(30, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertTrue(done, "did not stop within 30 s:\n" + Files.readString(log));
        return new Outcome(p.exitValue(), Files.readAllLines(log));
    }

    static void assertOneLineWithoutTrace(Outcome o, String problem) {
        String all = String.join("\n", o.lines());
        assertEquals(3, o.exit(), all);
        assertEquals(1, o.lines().stream().filter(l -> l.contains(problem)).count(), "one line about " + problem + ":\n" + all);
        assertTrue(o.lines().stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception:")), "a stack trace:\n" + all);
        assertTrue(o.lines().stream().noneMatch(l -> l.startsWith("WARNING:")), "a JDK warning:\n" + all);
    }

    @Test
    void runWithoutADockerEngineStopsAtOnceNamingDockerAndTheFix() throws Exception {
        Path dir = Files.createTempDirectory("autoif-preflight");
        String socket = "unix:///tmp/autoif-nothing-" + UUID.randomUUID() + ".sock";
        ProcessBuilder pb = new ProcessBuilder("bash", REPO.resolve("autoif").toString(), "run");
        pb.environment().put("DOCKER_HOST", socket);
        if (TemporalDevServer.findCli() == null) {
            // The launcher would install the CLI into .tools/ first; that is not what this test is about.
            pb.environment().put("AUTOIF_SETUP", "0");
        }
        Outcome o = run(dir, pb);
        assertOneLineWithoutTrace(o, "Docker");
        String line = o.lines().stream().filter(l -> l.contains("Docker")).findFirst().orElseThrow();
        assertEquals("autoif: Docker engine: nothing answers at " + socket + " (No such file or directory); start the engine "
                + "there, or fix or unset DOCKER_HOST", line);
        // Works from anywhere: the bundled demo's queries came out of the jar (this directory has no examples/).
        assertTrue(Files.isRegularFile(dir.resolve("autoif-data/examples/demo-queries.jsonl")));
    }

    @Test
    void aWorkerWithoutItsTemporalServerStopsAtOnceNamingIt() throws Exception {
        Path dir = Files.createTempDirectory("autoif-preflight-worker");
        int port = freePort();
        ProcessBuilder pb = worker("127.0.0.1:" + port);
        pb.environment().put("AUTOIF_STORE_SHARED", "true");
        Outcome o = run(dir, pb);
        assertOneLineWithoutTrace(o, "Temporal");
        assertTrue(o.lines().stream().anyMatch(l -> l.startsWith("autoif: Temporal: no server answers at 127.0.0.1:" + port)),
                String.join("\n", o.lines()));
    }

    /** A worker of a Temporal server others may poll, on its own disk: refused before it asks any server. */
    @Test
    void aWorkerOnAnUndeclaredLocalStoreRefusesToStartSayingWhyAndTheFix() throws Exception {
        Path dir = Files.createTempDirectory("autoif-preflight-store");
        ProcessBuilder pb = worker("127.0.0.1:" + freePort());
        pb.environment().remove("AUTOIF_STORE");
        pb.environment().remove("AUTOIF_STORE_SHARED");
        pb.environment().put("AUTOIF_DATA_DIR", dir.resolve("data").toString());
        Outcome o = run(dir, pb);
        assertOneLineWithoutTrace(o, "Shared state");
        String line = o.lines().stream().filter(l -> l.contains("Shared state")).findFirst().orElseThrow();
        assertTrue(line.startsWith("autoif: Shared state: the artifact store " + dir.resolve("data") + " is a local directory"),
                line);
        assertTrue(line.contains("set AUTOIF_STORE=s3://bucket/prefix") && line.contains("AUTOIF_STORE_SHARED=true"), line);
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** {@code java -jar autoif.jar worker --temporal-address ADDRESS}, as the launcher runs it. */
    private static ProcessBuilder worker(String address) {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // the flags the launcher passes on this JDK (see ./autoif): without them JDK 22+ warns about native access and Unsafe
        if (Runtime.version().feature() >= 22) command.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 23) command.add("--sun-misc-unsafe-memory-access=allow");
        command.addAll(List.of("-jar", REPO.resolve("worker/target/autoif.jar").toString(), "worker", "--temporal-address",
                address));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("AUTOIF_HTTP_PORT", "0");
        return pb;
    }
}
