package dev.autoif.workflows.activities.sandbox;

import dev.autoif.workflows.activities.llm.StoredResponses;
import java.util.List;

/** S7 as {@link EvaluationBatch}, the inputs being S6's responses read from the campaign's store. */
public record StoredEvaluationBatch(String campaignId, String label, List<String> functions, StoredResponses inputs,
                                    int timeoutSeconds) {}
