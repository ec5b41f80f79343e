package dev.autoif.workflows.activities.store;

/**
 * Reads and de-duplicates the seeds and writes the campaign's instruction list.
 *
 * @param outputDir the campaign's location when the user chose one (a directory or {@code s3://...}); null puts the
 *                  campaign under the worker's store root
 */
public record PrepareCampaignRequest(String campaignId, SeedSource seeds, String outputDir) {}
