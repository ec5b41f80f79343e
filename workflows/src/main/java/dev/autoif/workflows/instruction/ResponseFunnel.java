package dev.autoif.workflows.instruction;

import java.util.Map;
import java.util.TreeMap;

/**
 * Stage 2's counts: prompts (instruction x query), responses sampled, why responses were dropped, and what became
 * training data. The same record is an instruction's contribution and the campaign's running total.
 */
public record ResponseFunnel(long prompts, long responses, Map<String, Long> droppedByReason, long sftRows,
                             long dpoPairs) {

    public static ResponseFunnel empty() {
        return new ResponseFunnel(0, 0, new TreeMap<>(), 0, 0);
    }

    public ResponseFunnel plus(ResponseFunnel o) {
        if (o == null) {
            return this;
        }
        Map<String, Long> byReason = new TreeMap<>(droppedByReason);
        o.droppedByReason().forEach((k, v) -> byReason.merge(k, v, Long::sum));
        return new ResponseFunnel(prompts + o.prompts, responses + o.responses, byReason, sftRows + o.sftRows,
                dpoPairs + o.dpoPairs);
    }
}
