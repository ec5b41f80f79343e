package dev.autoif.workflows.activities.dpostore;

import io.temporal.workflow.Workflow;

/**
 * How the online DPO round calls its store: runs that passed the {@value #CHANGE_ID} marker schedule the request
 * activity types ("...V2"), runs recorded before it the positional ones. Workflow code only: {@link #decide} calls
 * {@link Workflow#getVersion}.
 */
public final class DpoStoreCalls {
    /** Workflow.getVersion change ID: the DPO store activities took one request record each. */
    public static final String CHANGE_ID = "dpo-store-request-records";

    private final DpoStoreActivities store;
    private final boolean requests;

    private DpoStoreCalls(DpoStoreActivities store, boolean requests) {
        this.store = store;
        this.requests = requests;
    }

    /** Reads (or records) the marker; call it first thing in the run, while nothing else runs (see CampaignStoreCalls). */
    public static DpoStoreCalls decide(DpoStoreActivities store) {
        return new DpoStoreCalls(store, Workflow.getVersion(CHANGE_ID, Workflow.DEFAULT_VERSION, 1) >= 1);
    }

    public DpoPromptPage readPrompts(ReadDpoPromptsRequest r) {
        return requests ? store.readPrompts(r) : store.readPromptsLegacy(r.campaignDir(), r.byteOffset(), r.line(), r.limit());
    }

    public void writePairsPage(WriteDpoPairsPageRequest r) {
        if (requests) {
            store.writePairsPage(r);
        } else {
            store.writePairsPageLegacy(r.roundDir(), r.page(), r.pairs());
        }
    }

    public DpoPairsFile assemblePairs(AssembleDpoPairsRequest r) {
        return requests ? store.assemblePairs(r) : store.assemblePairsLegacy(r.roundDir(), r.pages());
    }

    public void recordRound(RecordDpoRoundRequest r) {
        if (requests) {
            store.recordRound(r);
        } else {
            store.recordRoundLegacy(r.roundDir(), r.result());
        }
    }

    public DpoRoundResult readRound(ReadDpoRoundRequest r) {
        return requests ? store.readRound(r) : store.readRoundLegacy(r.roundDir());
    }
}
