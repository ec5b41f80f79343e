package dev.autoif.worker.cli;

import dev.autoif.worker.fakellm.FixtureBook;
import dev.autoif.worker.fakellm.ScriptedLlmServer;
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

    @Override
    public Integer call() throws Exception {
        ScriptedLlmServer server = new ScriptedLlmServer(host, port, FixtureBook.load());
        System.out.println("scripted LLM serving model '" + ScriptedLlmServer.MODEL + "' at http://" + host + ":" + server.port() + "/v1");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
