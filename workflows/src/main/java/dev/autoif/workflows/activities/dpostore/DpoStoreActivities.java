package dev.autoif.workflows.activities.dpostore;

import dev.autoif.workflows.dataset.PreferencePair;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Online DPO's files, at locations any worker opens (a directory or an {@code s3://} prefix). Every write replaces a
 * whole object, so a retried activity never duplicates a row. Run on {@code TaskQueues.WORKFLOWS}.
 *
 * <p>Each method takes one request record ("...V2" activity types), called through {@link DpoStoreCalls} behind the
 * {@value DpoStoreCalls#CHANGE_ID} marker; the "...Legacy" methods keep the positional types of histories and queued
 * tasks from before it, as delegates ({@link PositionalDpoStore}).
 */
@ActivityInterface
public interface DpoStoreActivities {
    /** A page of prompts.jsonl: the file is read page by page, never whole into workflow history. */
    @ActivityMethod(name = "ReadDpoPromptsV2")
    DpoPromptPage readPrompts(ReadDpoPromptsRequest request);

    @ActivityMethod(name = "WriteDpoPairsPageV2")
    void writePairsPage(WriteDpoPairsPageRequest request);

    /** As TRL rows {prompt, chosen, rejected}. */
    @ActivityMethod(name = "AssembleDpoPairsV2")
    DpoPairsFile assemblePairs(AssembleDpoPairsRequest request);

    @ActivityMethod(name = "RecordDpoRoundV2")
    void recordRound(RecordDpoRoundRequest request);

    /** The round's recorded result, or null when the round has not finished. */
    @ActivityMethod(name = "ReadDpoRoundV2")
    DpoRoundResult readRound(ReadDpoRoundRequest request);

    // Positional activity types of histories recorded before "dpo-store-request-records": see PositionalDpoStore.

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalDpoStore}). */
    @ActivityMethod(name = "ReadDpoPrompts")
    DpoPromptPage readPromptsLegacy(String campaignDir, long byteOffset, long line, int limit);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalDpoStore}). */
    @ActivityMethod(name = "WriteDpoPairsPage")
    void writePairsPageLegacy(String roundDir, int page, List<PreferencePair> pairs);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalDpoStore}). */
    @ActivityMethod(name = "AssembleDpoPairs")
    DpoPairsFile assemblePairsLegacy(String roundDir, int pages);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalDpoStore}). */
    @ActivityMethod(name = "RecordDpoRound")
    void recordRoundLegacy(String roundDir, DpoRoundResult result);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalDpoStore}). */
    @ActivityMethod(name = "ReadDpoRound")
    DpoRoundResult readRoundLegacy(String roundDir);
}
