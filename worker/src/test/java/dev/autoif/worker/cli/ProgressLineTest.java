package dev.autoif.worker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.campaign.Funnel;
import dev.autoif.workflows.instruction.ResponseFunnel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
    static Funnel funnel(int finished, int kept) {
        return new Funnel(36, finished, kept, Map.of(), List.of(new LlmUsage(Stage.S2, LlmRole.SUPERVISION, "m", 10, 0, 0, 80, 12_000, 30_000, 0.25)),
                0.25, new ResponseFunnel(40, 320, Map.of(), 51, 12), null);
    }

    static final long S = TimeUnit.SECONDS.toNanos(1);

    @Test
    void showsCountsTokensCostElapsedAndEta() {
        assertEquals("  progress: 12/36 instructions, 9 kept | 320 responses, 51 SFT rows | 42k tokens, $0.25 | 1:05 elapsed, ETA 2:10",
                ProgressLine.format(funnel(12, 9), Duration.ofSeconds(65), Duration.ofSeconds(130)));
    }

    @Test
    void theEtaIsTheRemainingInstructionsAtTheRateSeenSinceTheFirstLook() {
        ProgressLine p = new ProgressLine(new PrintStream(new ByteArrayOutputStream()), false, 0);
        p.update(funnel(6, 5), 10 * S); // following a campaign that already had 6 done
        assertEquals(null, p.eta(funnel(6, 5), 10 * S), "no rate yet");
        // 10 more in 20 s: 2 s each, 20 remaining -> 40 s
        assertEquals(Duration.ofSeconds(40), p.eta(funnel(16, 12), 30 * S));
    }

    @Test
    void withoutATerminalItPrintsChangesAtMostEveryThirtySeconds() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLine p = new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 0);
        for (int t = 0; t <= 60; t += 2) {
            p.update(funnel(t / 2, t / 4), t * S);
        }
        p.finish();
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length, String.join("\n", lines)); // at 0, 30 and 60 s
        assertTrue(lines[2].startsWith("  progress: 30/36 instructions"), lines[2]);
        assertTrue(!bytes.toString(StandardCharsets.UTF_8).contains("\r"));
    }

    @Test
    void onATerminalItRedrawsOneLineInPlace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLine p = new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, 0);
        p.update(funnel(1, 1), 2 * S);
        p.update(funnel(2, 1), 4 * S);
        p.finish();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2, out.chars().filter(c -> c == '\r').count());
        assertTrue(out.endsWith("\033[K\n") && out.indexOf('\n') == out.length() - 1, out);
    }
}
