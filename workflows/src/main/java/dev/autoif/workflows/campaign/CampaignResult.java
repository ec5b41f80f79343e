package dev.autoif.workflows.campaign;

import dev.autoif.workflows.activities.store.QueryPool;
import java.util.List;

/**
 * What a finished campaign reports: its funnel, where the files are, and (Stage 2) what the query import kept.
 * {@code funnel.stopReason()} says why it stopped short of its instructions, or why it missed its target.
 */
public record CampaignResult(String campaignId, String preset, String outputDir, Funnel funnel, List<String> files,
                             QueryPool queryPool) {}
