package dev.autoif.workflows.activities.llm;

/** One sampled response; {@code finishReason} "length" means the token cap cut it off. */
public record ResponseSample(String text, String finishReason) {
    public boolean truncated() {
        return "length".equals(finishReason);
    }
}
