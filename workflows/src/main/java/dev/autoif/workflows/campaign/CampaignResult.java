package dev.autoif.workflows.campaign;

import java.util.List;

/** What a finished campaign reports: its funnel and where the files are. */
public record CampaignResult(String campaignId, String preset, String outputDir, Funnel funnel, List<String> files) {}
