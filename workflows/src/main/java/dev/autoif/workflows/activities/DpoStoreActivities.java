package dev.autoif.workflows.activities;

import dev.autoif.workflows.dpo.DpoRoundResult;
import dev.autoif.workflows.dataset.PreferencePair;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Online DPO's files. Every write replaces a whole file atomically, so a retried activity never duplicates a row.
 * Run on {@code TaskQueues.WORKFLOWS}; paths are as the workers see them.
 */
@ActivityInterface
public interface DpoStoreActivities {
    /**
     * Up to {@code limit} rows of {@code campaignDir/prompts.jsonl}, starting at byte {@code byteOffset} (line
     * {@code line}, for messages): the file is read page by page, never whole into workflow history.
     */
    @ActivityMethod(name = "ReadDpoPrompts")
    DpoPromptPage readPrompts(String campaignDir, long byteOffset, long line, int limit);

    /** One page's pairs, with their lineage, to {@code roundDir/pairs/page-NNNNNN.jsonl}. */
    @ActivityMethod(name = "WriteDpoPairsPage")
    void writePairsPage(String roundDir, int page, List<PreferencePair> pairs);

    /** Pages 0..pages-1 concatenated into {@code roundDir/dpo_pairs.jsonl} as TRL rows {prompt, chosen, rejected}. */
    @ActivityMethod(name = "AssembleDpoPairs")
    DpoPairsFile assemblePairs(String roundDir, int pages);

    /** {@code roundDir/round.json}. */
    @ActivityMethod(name = "RecordDpoRound")
    void recordRound(String roundDir, DpoRoundResult result);

    /** The round's recorded result, or null when the round has not finished. */
    @ActivityMethod(name = "ReadDpoRound")
    DpoRoundResult readRound(String roundDir);
}
