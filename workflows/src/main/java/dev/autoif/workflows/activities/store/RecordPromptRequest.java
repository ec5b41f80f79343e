package dev.autoif.workflows.activities.store;

/**
 * Stage 2: stores one prompt's responses, verdicts and pairs.
 *
 * @param responsesInStore the prompt's responses are the ones S6's activity stored (see
 *                         {@link dev.autoif.workflows.activities.llm.StoredResponses}): the record's response texts are
 *                         null and its pairs' chosen and rejected hold the responses' digests; the store writes the
 *                         texts in their place
 */
public record RecordPromptRequest(String outputDir, PromptRecord record, boolean responsesInStore) {

    public RecordPromptRequest(String outputDir, PromptRecord record) {
        this(outputDir, record, false);
    }
}
