package dev.autoif.activities.sandbox;

import java.nio.charset.StandardCharsets;

/** The last 2,000 characters a container's runner wrote to stderr: what a failure message quotes. */
final class StderrTail {
    private static final int TAIL = 2000;
    private final StringBuilder text = new StringBuilder();

    synchronized void append(byte[] bytes) {
        text.append(new String(bytes, StandardCharsets.UTF_8));
        if (text.length() > TAIL * 2) {
            text.delete(0, text.length() - TAIL);
        }
    }

    @Override
    public synchronized String toString() {
        return text.length() > TAIL ? text.substring(text.length() - TAIL) : text.toString();
    }
}
