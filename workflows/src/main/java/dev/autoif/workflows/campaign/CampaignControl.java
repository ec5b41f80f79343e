package dev.autoif.workflows.campaign;

/**
 * What an operator changed on a running campaign (updates {@code pause}, {@code resume},
 * {@code setMaxConcurrentInstructions}), carried across continue-as-new so that a pause or a new window outlives the
 * run it was set in.
 *
 * @param paused                    no new instruction starts; those in flight finish
 * @param maxConcurrentInstructions the window set live, or null for the campaign input's
 * @param startedAtMillis           workflow time of the campaign's first run: the base of elapsed time and ETA
 * @param approval                  the Stage 2 gate of a campaign with approveBeforeStage2: null before it is reached
 *                                  (and without the gate), then {@link #WAITING}, {@link #APPROVED} or {@link #REJECTED}
 */
public record CampaignControl(boolean paused, Integer maxConcurrentInstructions, long startedAtMillis, String approval) {
    public static final String WAITING = "WAITING_FOR_APPROVAL";
    public static final String APPROVED = "APPROVED";
    public static final String REJECTED = "REJECTED";

    public static CampaignControl startedAt(long millis) {
        return new CampaignControl(false, null, millis, null);
    }

    public CampaignControl withPaused(boolean p) {
        return new CampaignControl(p, maxConcurrentInstructions, startedAtMillis, approval);
    }

    public CampaignControl withWindow(int n) {
        return new CampaignControl(paused, n, startedAtMillis, approval);
    }

    public CampaignControl withApproval(String a) {
        return new CampaignControl(paused, maxConcurrentInstructions, startedAtMillis, a);
    }

    public boolean waitingForApproval() {
        return WAITING.equals(approval);
    }

    public int window(CampaignConfig config) {
        return maxConcurrentInstructions != null ? maxConcurrentInstructions : config.maxConcurrentInstructions();
    }
}
