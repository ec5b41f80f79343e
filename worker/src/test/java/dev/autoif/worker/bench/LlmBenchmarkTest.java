package dev.autoif.worker.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code bench llm} end to end on the in-process Temporal server, small: every shape sends the requests it says, gets
 * every sample back (the benchmark checks the count and fails otherwise) and ends with the ratio. No timing is
 * asserted: the figures depend on the machine.
 */
class LlmBenchmarkTest {
    @ParameterizedTest
    @ValueSource(strings = {
            "--prompts-per-activity 8",                           // S6: an instruction's queries in one activity
            "--prompts-per-activity 1 --samples 3",               // S2: K samples of one prompt in one request
            "--prompts-per-activity 4 --samples 2 --ignore-n"})   // a server that ignores n: K requests per prompt
    void everyShapeSendsItsRequestsAndEndsWithTheRatio(String shape) {
        List<String> args = new java.util.ArrayList<>(List.of("--concurrency", "4", "--latency-ms", "20", "--requests", "24"));
        args.addAll(List.of(shape.split(" ")));
        StringWriter out = new StringWriter();
        int exit = new CommandLine(new LlmBenchmark()).setOut(new PrintWriter(out, true))
                .execute(args.toArray(String[]::new));
        String printed = out.toString();
        assertEquals(0, exit, printed);
        assertTrue(printed.contains("requests=24 "), printed);
        assertTrue(printed.contains("temporal=in-process"), printed);
        Matcher inFlight = Pattern.compile("requests_in_flight_avg=([0-9.]+) limiter_cap_start=(\\d+)").matcher(printed);
        assertTrue(inFlight.find(), printed);
        assertTrue(Double.parseDouble(inFlight.group(1)) > 0, "requests went through the limiter: " + printed);
        assertTrue(Integer.parseInt(inFlight.group(2)) <= 4, "the cap is C: " + printed);
        String[] lines = printed.strip().split("\n");
        assertTrue(lines[lines.length - 1].matches("ratio=[0-9]+\\.[0-9]{3}"), "the last line is the ratio: " + printed);
    }
}
