package dev.autoif.workflows.activities.store;

/** The campaign's instruction list, de-duplicated and stored; workflows page through it. */
public record PreparedCampaign(String outputDir, int instructionCount, int duplicatesRemoved) {}
