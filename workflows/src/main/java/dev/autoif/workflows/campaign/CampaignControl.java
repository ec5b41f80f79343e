package dev.autoif.workflows.campaign;

/**
 * What an operator changed on a running campaign (updates {@code pause}, {@code resume},
 * {@code setMaxConcurrentInstructions}), carried across continue-as-new so that a pause or a new window outlives the
 * run it was set in.
 *
 * @param paused                    no new instruction starts; those in flight finish
 * @param maxConcurrentInstructions the window set live, or null for the campaign input's
 * @param startedAtMillis           workflow time of the campaign's first run: the base of elapsed time and ETA
 */
public record CampaignControl(boolean paused, Integer maxConcurrentInstructions, long startedAtMillis) {

    public static CampaignControl startedAt(long millis) {
        return new CampaignControl(false, null, millis);
    }

    public CampaignControl withPaused(boolean p) {
        return new CampaignControl(p, maxConcurrentInstructions, startedAtMillis);
    }

    public CampaignControl withWindow(int n) {
        return new CampaignControl(paused, n, startedAtMillis);
    }

    public int window(CampaignConfig config) {
        return maxConcurrentInstructions != null ? maxConcurrentInstructions : config.maxConcurrentInstructions();
    }
}
