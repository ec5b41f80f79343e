package dev.autoif.workflows.campaign;

import dev.autoif.workflows.DropReason;
import java.util.Map;
import java.util.TreeMap;

/** Counts of instructions kept and dropped, by reason; the campaign's live progress. */
public record Funnel(int instructions, int finished, int kept, Map<String, Integer> droppedByReason) {

    public static Funnel start(int instructions) {
        return new Funnel(instructions, 0, 0, new TreeMap<>());
    }

    public Funnel withKept() {
        return new Funnel(instructions, finished + 1, kept + 1, droppedByReason);
    }

    public Funnel withDropped(DropReason reason) {
        Map<String, Integer> byReason = new TreeMap<>(droppedByReason);
        byReason.merge(reason.name(), 1, Integer::sum);
        return new Funnel(instructions, finished + 1, kept, byReason);
    }

    public int dropped() {
        return droppedByReason.values().stream().mapToInt(Integer::intValue).sum();
    }
}
