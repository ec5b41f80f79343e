package dev.autoif.workflows.activities.dpostore;

import dev.autoif.workflows.dataset.PreferencePair;
import java.util.List;

/**
 * The positional DPO store activity types of histories recorded before {@value DpoStoreCalls#CHANGE_ID} (and their
 * tasks still queued during a deploy), each a thin delegate to its request method. New workflow code never schedules
 * them (see {@link DpoStoreCalls}); they go once no run older than that change can still be open.
 */
public abstract class PositionalDpoStore implements DpoStoreActivities {
    @Override
    public final DpoPromptPage readPromptsLegacy(String campaignDir, long byteOffset, long line, int limit) {
        return readPrompts(new ReadDpoPromptsRequest(campaignDir, byteOffset, line, limit));
    }

    @Override
    public final void writePairsPageLegacy(String roundDir, int page, List<PreferencePair> pairs) {
        writePairsPage(new WriteDpoPairsPageRequest(roundDir, page, pairs));
    }

    @Override
    public final DpoPairsFile assemblePairsLegacy(String roundDir, int pages) {
        return assemblePairs(new AssembleDpoPairsRequest(roundDir, pages));
    }

    @Override
    public final void recordRoundLegacy(String roundDir, DpoRoundResult result) {
        recordRound(new RecordDpoRoundRequest(roundDir, result));
    }

    @Override
    public final DpoRoundResult readRoundLegacy(String roundDir) {
        return readRound(new ReadDpoRoundRequest(roundDir));
    }
}
