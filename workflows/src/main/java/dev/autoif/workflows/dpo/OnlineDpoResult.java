package dev.autoif.workflows.dpo;

import dev.autoif.workflows.activities.dpostore.DpoRoundResult;
import java.util.List;

/** Every round's result, in order; {@code finalCheckpoint} is the last round's checkpoint. */
public record OnlineDpoResult(String outputDir, List<DpoRoundResult> rounds, String finalCheckpoint) {}
