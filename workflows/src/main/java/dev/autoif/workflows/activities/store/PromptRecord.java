package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.dataset.PreferencePair;
import java.util.List;

/**
 * One (instruction, query) prompt of Stage 2, stored on its own: the SFT prompt it becomes, its K responses with
 * their fates (S6 to S8), and its DPO pairs (D1).
 *
 * @param promptIndex which of the instruction's drawn queries (0-based)
 * @param error       why a stage of this prompt failed after all retries, else null
 */
public record PromptRecord(int instructionIndex, String instructionId, int promptIndex, String query, String prompt,
                           List<ResponseRecord> responses, List<PreferencePair> pairs, String error) {}
