package dev.autoif.workflows.activities.store;

import java.util.List;

/** S1's merge of the seeds and the generated instructions; see {@link CampaignStoreActivities#mergeInstructions}. */
public record MergeInstructionsRequest(String outputDir, List<String> seeds, List<String> generated,
                                       double nearDuplicateThreshold) {}
