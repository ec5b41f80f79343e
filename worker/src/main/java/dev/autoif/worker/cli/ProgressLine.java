package dev.autoif.worker.cli;

import dev.autoif.workflows.campaign.Funnel;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * The live progress line of {@code run}, from the campaign's {@code funnel} query: instructions done/total, kept,
 * responses, tokens and cost, elapsed and ETA. On a terminal it redraws in place; otherwise it prints a line at most
 * every {@link #PERIOD} (and only when something changed), so logs and CI output stay short.
 */
final class ProgressLine {
    static final Duration PERIOD = Duration.ofSeconds(30);

    private final PrintStream out;
    private final boolean terminal;
    private final long startNanos;
    private Integer firstDone; // instructions already done when we first looked (a followed campaign)
    private long firstSeenNanos;
    private long lastPrintNanos = Long.MIN_VALUE;
    private String lastPrinted = "";
    private boolean drawn;

    ProgressLine(PrintStream out, boolean terminal, long startNanos) {
        this.out = out;
        this.terminal = terminal;
        this.startNanos = startNanos;
    }

    /** Whether stdout is an interactive terminal (JDK 22+ Console.isTerminal; before that: a console exists). */
    static boolean stdoutIsTerminal() {
        java.io.Console console = System.console();
        if (console == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException olderJdk) {
            return true;
        }
    }

    void update(Funnel f, long nowNanos) {
        if (f.instructions() == 0) {
            return; // the instructions are still being read in: nothing to show yet
        }
        if (firstDone == null) {
            firstDone = f.finished();
            firstSeenNanos = nowNanos;
        }
        String line = format(f, Duration.ofNanos(nowNanos - startNanos), eta(f, nowNanos));
        if (terminal) {
            out.print("\r" + line + "\033[K");
            out.flush();
            drawn = true;
        } else if (!line.equals(lastPrinted) && (lastPrintNanos == Long.MIN_VALUE || nowNanos - lastPrintNanos >= PERIOD.toNanos())) {
            out.println(line);
            lastPrintNanos = nowNanos;
        }
        lastPrinted = line;
    }

    /** Ends the redrawn line so that what follows starts on its own line. */
    void finish() {
        if (drawn) {
            out.println();
            drawn = false;
        }
    }

    /** Remaining instructions at the rate observed since we first looked; null until one finished meanwhile. */
    Duration eta(Funnel f, long nowNanos) {
        int doneSince = f.finished() - firstDone;
        if (doneSince <= 0 || nowNanos <= firstSeenNanos) return null;
        long remaining = Math.max(0, f.instructions() - f.finished());
        return Duration.ofNanos((nowNanos - firstSeenNanos) / doneSince * remaining);
    }

    static String format(Funnel f, Duration elapsed, Duration eta) {
        StringBuilder s = new StringBuilder("  progress: ")
                .append(f.finished()).append('/').append(f.instructions()).append(" instructions, ")
                .append(f.kept()).append(" kept | ")
                .append(f.responses().responses()).append(" responses, ")
                .append(f.responses().sftRows()).append(" SFT rows | ")
                .append(tokens(f.totalTokens())).append(" tokens");
        if (f.llmCostUsd() != null) {
            s.append(String.format(Locale.ROOT, ", $%.2f", f.llmCostUsd()));
        }
        s.append(" | ").append(clock(elapsed)).append(" elapsed, ETA ").append(eta == null ? "?" : clock(eta));
        return s.toString();
    }

    static String tokens(long n) {
        if (n >= 1_000_000) return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        if (n >= 10_000) return String.format(Locale.ROOT, "%.0fk", n / 1e3);
        return Long.toString(n);
    }

    static String clock(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
