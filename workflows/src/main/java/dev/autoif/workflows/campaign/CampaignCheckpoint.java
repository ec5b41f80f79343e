package dev.autoif.workflows.campaign;

import dev.autoif.workflows.activities.QueryPool;

/**
 * State carried across continue-as-new so a long campaign keeps its history small.
 *
 * @param queryPool Stage 2's imported queries, null when the campaign has none
 */
public record CampaignCheckpoint(String outputDir, int instructionCount, int nextIndex, Funnel funnel, QueryPool queryPool) {}
