package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.dataset.PreferencePair;
import java.util.List;

/**
 * Stage 2 of one kept instruction, written to the artifact store next to its {@link InstructionRecord} once all its
 * prompts ({@link PromptRecord}, stored one by one) are done.
 *
 * @param functions             the kept verifier functions the responses were scored with
 * @param prompts               how many prompts (queries) the instruction had
 * @param instructionLevelPairs the paper's instruction-level DPO pairs, when the campaign asks for them
 */
public record ResponseStageRecord(int index, String instructionId, String instruction, List<String> functions,
                                  int prompts, List<PreferencePair> instructionLevelPairs) {}
