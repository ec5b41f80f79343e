package dev.autoif.worker.cli;

import dev.autoif.worker.fakellm.Faults;
import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "fake-llm", mixinStandardHelpOptions = true,
        description = "Serve the scripted OpenAI-compatible LLM (fixture answers, no model) until interrupted.")
public class FakeLlmCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8000", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--faults", description = "Inject faults, MODE:RATE,... with MODE one of 429, 500, slow, truncate, "
            + "malformed, fewer, drop (e.g. 429:0.1,500:0.1,drop:0.1). Default: none.")
    String faults;

    @Option(names = "--fault-seed", defaultValue = "0", description = "Seed of the fault draws (default ${DEFAULT-VALUE}).")
    long faultSeed;

    @Option(names = "--latency-ms", defaultValue = "0", description = "Delay every answer by this much (default ${DEFAULT-VALUE}).")
    long latencyMs;

    @Option(names = "--slow-ms", defaultValue = "2000", description = "Extra delay of a 'slow' fault (default ${DEFAULT-VALUE}).")
    long slowMs;

    @Option(names = "--retry-after", defaultValue = "1", description = "Retry-After seconds of a 429 fault (default ${DEFAULT-VALUE}).")
    String retryAfter;

    @Override
    public Integer call() throws Exception {
        Faults f = Faults.parse(faults, faultSeed).withLatency(Duration.ofMillis(latencyMs))
                .withSlowDelay(Duration.ofMillis(slowMs)).withRetryAfter(retryAfter);
        ScriptedLlmServer server = new ScriptedLlmServer(host, port, FixtureBook.load(), f);
        System.out.println("scripted LLM serving model '" + ScriptedLlmServer.MODEL + "' at http://" + host + ":" + server.port() + "/v1"
                + (f.any() ? " with faults " + f.rates() + " (seed " + faultSeed + ")" : ""));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
