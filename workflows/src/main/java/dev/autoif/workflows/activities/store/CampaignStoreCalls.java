package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.activities.llm.SamplesDestination;
import io.temporal.workflow.Workflow;
import java.util.List;

/**
 * How workflow code calls the campaign store: runs that passed the {@value #CHANGE_ID} marker schedule the request
 * activity types ("...V2"); runs recorded before it (no marker in their history) keep scheduling the positional ones,
 * so they replay and continue unchanged. Workflow code only: {@link #decide} calls {@link Workflow#getVersion}.
 */
public final class CampaignStoreCalls {
    /** Workflow.getVersion change ID: the store activities took one request record each (README, "For contributors"). */
    public static final String CHANGE_ID = "store-request-records";
    /**
     * Workflow.getVersion change ID: an instruction's own writes (its record, its prompts, its Stage 2 summary) run as
     * local activities, on the worker running its workflow task. They take milliseconds and write deterministic keys,
     * so nothing is lost by running them there; and a local activity's input is not in the history (the instruction
     * record was its largest payload), nor are its scheduled and started events or the workflow task it woke.
     */
    public static final String LOCAL_WRITES_CHANGE_ID = "instruction-writes-local";

    private final CampaignStoreActivities store;
    private final boolean requests;
    /** Where recordInstruction, recordPrompt and recordResponses go: {@link #store}, or its local-activity stub. */
    private final CampaignStoreActivities writes;

    private CampaignStoreCalls(CampaignStoreActivities store, boolean requests, CampaignStoreActivities writes) {
        this.store = store;
        this.requests = requests;
        this.writes = writes;
    }

    /**
     * Reads (or records) the marker. Call it first thing in a workflow's run, while nothing else runs: replaying a
     * history without the marker, the first getVersion yields, and among concurrent branches (Stage 2's prompts) that
     * would reorder the commands they issue.
     */
    public static CampaignStoreCalls decide(CampaignStoreActivities store) {
        return new CampaignStoreCalls(store, Workflow.getVersion(CHANGE_ID, Workflow.DEFAULT_VERSION, 1) >= 1, store);
    }

    /**
     * {@link #decide} for an instruction's workflow, which also reads (or records) {@value #LOCAL_WRITES_CHANGE_ID}:
     * past it, the instruction's writes go to {@code localStore} (a local-activity stub of the same activities).
     */
    public static CampaignStoreCalls decideForInstruction(CampaignStoreActivities store, CampaignStoreActivities localStore) {
        CampaignStoreCalls calls = decide(store);
        boolean local = calls.requests && Workflow.getVersion(LOCAL_WRITES_CHANGE_ID, Workflow.DEFAULT_VERSION, 1) >= 1;
        return local ? new CampaignStoreCalls(store, true, localStore) : calls;
    }

    /**
     * Where S2's and S6's activities should store an instruction's completions for its records to be completed from the
     * store; null on the positional branch, whose record writes cannot say so (the completions then travel in them).
     */
    public SamplesDestination samplesDestination(String outputDir, int index, String instructionId) {
        return requests ? new SamplesDestination(outputDir, index, instructionId) : null;
    }

    public PreparedCampaign prepare(PrepareCampaignRequest r) {
        return requests ? store.prepare(r) : store.prepareLegacy(r.campaignId(), r.seeds(), r.outputDir());
    }

    public PreparedCampaign mergeInstructions(MergeInstructionsRequest r) {
        return requests ? store.mergeInstructions(r)
                : store.mergeInstructionsLegacy(r.outputDir(), r.seeds(), r.generated(), r.nearDuplicateThreshold());
    }

    public List<InstructionRef> readInstructions(ReadInstructionsRequest r) {
        return requests ? store.readInstructions(r).instructions()
                : store.readInstructionsLegacy(r.outputDir(), r.offset(), r.limit());
    }

    public void recordInstruction(RecordInstructionRequest r) {
        if (requests) {
            writes.recordInstruction(r);
        } else {
            store.recordInstructionLegacy(r.outputDir(), r.record());
        }
    }

    public InstructionRecord readInstruction(ReadInstructionRequest r) {
        return requests ? store.readInstruction(r) : store.readInstructionLegacy(r.outputDir(), r.index(), r.instructionId());
    }

    public QueryPool importQueries(ImportQueriesRequest r) {
        return requests ? store.importQueries(r)
                : store.importQueriesLegacy(r.outputDir(), r.queryFile(), r.minChars(), r.maxChars());
    }

    /** Its input was a record from the start: one activity type for every run. */
    public List<String> drawQueries(QueryDraw draw) {
        return store.drawQueries(draw);
    }

    public void recordPrompt(RecordPromptRequest r) {
        if (requests) {
            writes.recordPrompt(r);
        } else {
            store.recordPromptLegacy(r.outputDir(), r.record());
        }
    }

    public void recordResponses(RecordResponsesRequest r) {
        if (requests) {
            writes.recordResponses(r);
        } else {
            store.recordResponsesLegacy(r.outputDir(), r.record());
        }
    }
}
