package dev.autoif.workflows.activities;

import dev.autoif.workflows.dataset.PreferencePair;
import java.util.List;

/**
 * Everything S6 to S9 and D1 produced for one kept instruction, written to the artifact store next to its
 * {@link InstructionRecord}.
 *
 * @param functions the kept verifier functions the responses were scored with
 * @param pairs     DPO pairs: response-level, plus instruction-level ones when the campaign asks for them
 */
public record ResponseStageRecord(int index, String instructionId, String instruction, List<String> functions,
                                  List<PromptRecord> prompts, List<PreferencePair> pairs) {}
