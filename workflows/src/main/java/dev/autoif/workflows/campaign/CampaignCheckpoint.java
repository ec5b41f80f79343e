package dev.autoif.workflows.campaign;

import dev.autoif.workflows.activities.QueryPool;

/**
 * State carried across continue-as-new so a long campaign keeps its history small.
 *
 * @param queryPool Stage 2's imported queries, null when the campaign has none
 * @param control   pause and window set live; null in checkpoints written before live control existed
 */
public record CampaignCheckpoint(String outputDir, int instructionCount, int nextIndex, Funnel funnel, QueryPool queryPool,
                                 CampaignControl control) {}
