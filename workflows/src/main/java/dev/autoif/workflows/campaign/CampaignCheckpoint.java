package dev.autoif.workflows.campaign;

/** State carried across continue-as-new so a long campaign keeps its history small. */
public record CampaignCheckpoint(String outputDir, int instructionCount, int nextIndex, Funnel funnel) {}
