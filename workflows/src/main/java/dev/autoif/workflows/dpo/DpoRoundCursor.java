package dev.autoif.workflows.dpo;

import dev.autoif.workflows.activities.llm.LlmUsage;
import java.util.List;

/**
 * A round's position in prompts.jsonl and its counts so far: all a round carries across continue-as-new (the pairs
 * themselves are already in page files).
 *
 * @param pages pages written so far (page files 0..pages-1)
 */
public record DpoRoundCursor(long byteOffset, long line, boolean eof, int pages, long prompts, long promptsFailed,
                             long responses, long truncatedResponses, long promptsWithPairs, long pairs,
                             List<String> failures, List<LlmUsage> llmUsage) {

    public static DpoRoundCursor start() {
        return new DpoRoundCursor(0, 1, false, 0, 0, 0, 0, 0, 0, 0, List.of(), List.of());
    }
}
