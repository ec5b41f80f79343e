package dev.autoif.workflows.activities.dpostore;

import dev.autoif.workflows.dataset.PreferencePair;
import java.util.List;

/** One page's pairs, with their lineage, to {@code roundDir/pairs/page-NNNNNN.jsonl}. */
public record WriteDpoPairsPageRequest(String roundDir, int page, List<PreferencePair> pairs) {}
