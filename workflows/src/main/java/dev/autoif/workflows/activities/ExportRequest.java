package dev.autoif.workflows.activities;

import dev.autoif.workflows.campaign.CampaignConfig;
import dev.autoif.workflows.campaign.Funnel;

/**
 * Assemble the campaign's files. With a target, exactly the first {@code targetSftRows} SFT rows (or
 * {@code targetDpoPairs} pairs) in instruction order are exported; instructions that finished past the target stay in
 * the lineage files only.
 */
public record ExportRequest(String outputDir, String campaignId, Funnel funnel, CampaignConfig config) {}
