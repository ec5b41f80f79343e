package dev.autoif.workflows.activities.llm;

/**
 * What a model costs, in US dollars per million tokens, as the campaign's price table states it.
 *
 * @param promptPerMillion     $ per 1M prompt (input) tokens
 * @param completionPerMillion $ per 1M completion (output) tokens
 */
public record ModelPrice(Double promptPerMillion, Double completionPerMillion) {

    /** The cost of these token counts; null prices count as free. */
    public double cost(long promptTokens, long completionTokens) {
        double p = promptPerMillion == null ? 0 : promptPerMillion;
        double c = completionPerMillion == null ? 0 : completionPerMillion;
        return (promptTokens * p + completionTokens * c) / 1_000_000.0;
    }
}
