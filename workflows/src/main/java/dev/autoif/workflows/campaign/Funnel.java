package dev.autoif.workflows.campaign;

import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.llm.ModelPrice;
import dev.autoif.workflows.instruction.ResponseFunnel;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of instructions kept and dropped, by reason, and what the LLM calls cost so far per
 * (stage, role, model); the campaign's live progress (query {@code funnel}, file funnel.json).
 *
 * @param llmUsage   requests, retries, cache hits and tokens per stage/role/model
 * @param llmCostUsd the priced part of llmUsage in $, null when the campaign has no price for any model used
 * @param responses  Stage 2 (S6 to S9, D1): prompts, responses, drops by reason, SFT rows and DPO pairs
 * @param stopReason why the campaign stopped drawing instructions early (target reached, budget spent), or null
 */
public record Funnel(int instructions, int finished, int kept, Map<String, Integer> droppedByReason,
                     List<LlmUsage> llmUsage, Double llmCostUsd, ResponseFunnel responses, String stopReason) {

    public Funnel(int instructions, int finished, int kept, Map<String, Integer> droppedByReason) {
        this(instructions, finished, kept, droppedByReason, List.of(), null, ResponseFunnel.empty(), null);
    }

    public static Funnel start(int instructions) {
        return new Funnel(instructions, 0, 0, new TreeMap<>());
    }

    public Funnel withKept() {
        return new Funnel(instructions, finished + 1, kept + 1, droppedByReason, llmUsage, llmCostUsd, responses, stopReason);
    }

    public Funnel withDropped(DropReason reason) {
        Map<String, Integer> byReason = new TreeMap<>(droppedByReason);
        byReason.merge(reason.name(), 1, Integer::sum);
        return new Funnel(instructions, finished + 1, kept, byReason, llmUsage, llmCostUsd, responses, stopReason);
    }

    /** Adds an instruction's LLM usage, priced with the campaign's table. */
    public Funnel withUsage(List<LlmUsage> usage, Map<String, ModelPrice> prices) {
        if (usage == null || usage.isEmpty()) {
            return this;
        }
        List<LlmUsage> merged = LlmUsage.merge(llmUsage, usage.stream().map(u -> u.priced(prices)).toList());
        Double cost = null;
        for (LlmUsage u : merged) {
            if (u.costUsd() != null) {
                cost = (cost == null ? 0 : cost) + u.costUsd();
            }
        }
        return new Funnel(instructions, finished, kept, droppedByReason, merged, cost, responses, stopReason);
    }

    public Funnel withResponses(ResponseFunnel instructionResponses) {
        return new Funnel(instructions, finished, kept, droppedByReason, llmUsage, llmCostUsd,
                responses.plus(instructionResponses), stopReason);
    }

    public Funnel stoppedBecause(String reason) {
        return new Funnel(instructions, finished, kept, droppedByReason, llmUsage, llmCostUsd, responses, reason);
    }

    /** Prompt plus completion tokens of every LLM call so far. */
    public long totalTokens() {
        return llmUsage.stream().mapToLong(u -> u.promptTokens() + u.completionTokens()).sum();
    }

    public int dropped() {
        return droppedByReason.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The counts alone, without the accounting: equal for two runs with the same outcome. */
    public Funnel counts() {
        return new Funnel(instructions, finished, kept, droppedByReason, List.of(), null, responses, stopReason);
    }
}
