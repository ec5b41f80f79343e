package dev.autoif.workflows.activities.llm;

import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What LLM calls cost for one (stage, role, model): HTTP requests actually sent, activity retries
 * (attempts beyond the first), samples answered from the durable cache, samples paid for, and the
 * tokens the endpoint reported. {@code costUsd} is filled in by the campaign from its price table
 * (null when the model has no price). {@code endpointNotes}: what the gateway found out about the endpoint while making
 * these calls and that a reader of the data must know (it ignores {@code n}, does not honour seeds, reports no
 * usage, ...); empty when nothing was noticed, null in records written before the field existed.
 */
public record LlmUsage(
        Stage stage,
        LlmRole role,
        String model,
        long requests,
        long retries,
        long cacheHits,
        long completions,
        long promptTokens,
        long completionTokens,
        Double costUsd,
        List<String> endpointNotes) {

    public LlmUsage(Stage stage, LlmRole role, String model, long requests, long retries, long cacheHits, long completions,
                    long promptTokens, long completionTokens, Double costUsd) {
        this(stage, role, model, requests, retries, cacheHits, completions, promptTokens, completionTokens, costUsd, List.of());
    }

    /** The notes of both, each once, in first-seen order. */
    private static List<String> union(List<String> a, List<String> b) {
        LinkedHashSet<String> all = new LinkedHashSet<>();
        if (a != null) all.addAll(a);
        if (b != null) all.addAll(b);
        return List.copyOf(all);
    }

    /** "S2/supervision/model": what {@link #merge} sums by and orders by. */
    public String key() {
        return stage + "/" + (role == null ? null : role.wireName()) + "/" + model;
    }

    public LlmUsage plus(LlmUsage o) {
        Double cost = costUsd == null && o.costUsd == null ? null
                : (costUsd == null ? 0 : costUsd) + (o.costUsd == null ? 0 : o.costUsd);
        return new LlmUsage(stage, role, model, requests + o.requests, retries + o.retries, cacheHits + o.cacheHits,
                completions + o.completions, promptTokens + o.promptTokens, completionTokens + o.completionTokens, cost,
                union(endpointNotes, o.endpointNotes));
    }

    /** This usage priced with {@code prices} (by model name); unchanged when the model has no price. */
    public LlmUsage priced(Map<String, ModelPrice> prices) {
        ModelPrice price = prices == null || model == null ? null : prices.get(model);
        if (price == null) {
            return this;
        }
        return new LlmUsage(stage, role, model, requests, retries, cacheHits, completions, promptTokens,
                completionTokens, price.cost(promptTokens, completionTokens), endpointNotes);
    }

    /** Sums entries with the same (stage, role, model); ordered by that key. */
    public static List<LlmUsage> merge(Collection<LlmUsage> a, Collection<LlmUsage> b) {
        Map<String, LlmUsage> byKey = new TreeMap<>();
        for (Collection<LlmUsage> c : List.of(a == null ? List.<LlmUsage>of() : a, b == null ? List.<LlmUsage>of() : b)) {
            for (LlmUsage u : c) {
                byKey.merge(u.key(), u, LlmUsage::plus);
            }
        }
        return new ArrayList<>(byKey.values());
    }
}
