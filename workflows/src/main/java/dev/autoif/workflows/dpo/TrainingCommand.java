package dev.autoif.workflows.dpo;

import java.util.List;
import java.util.Map;

/**
 * The user's DPO training step, run once per round on a worker of the {@code autoif-training} task queue. It is
 * started without a shell (give {@code ["bash", "-c", "..."]} for one), in the round directory unless
 * {@code workingDir} is set, with stdout and stderr appended to {@code round-N/training.log}. It must write its
 * checkpoint into {@code AUTOIF_DPO_OUTPUT_DIR} and exit 0; it is told where things are by environment variables and
 * by placeholders substituted in every argv element and env value:
 * <ul>
 *   <li>{@code AUTOIF_DPO_ROUND} / {@code {round}}: the round number, from 1</li>
 *   <li>{@code AUTOIF_DPO_PAIRS} / {@code {pairs}}: the round's TRL pairs file (JSONL of {prompt, chosen, rejected})</li>
 *   <li>{@code AUTOIF_DPO_OUTPUT_DIR} / {@code {outputDir}}: where to write the checkpoint (round-N/checkpoint)</li>
 *   <li>{@code AUTOIF_DPO_ROUND_DIR} / {@code {roundDir}}: the round directory</li>
 *   <li>{@code AUTOIF_DPO_PREVIOUS_CHECKPOINT} / {@code {previousCheckpoint}}: the previous round's checkpoint
 *       (empty in round 1)</li>
 *   <li>{@code AUTOIF_DPO_POLICY_MODEL} / {@code {policyModel}}: the model name that sampled this round</li>
 * </ul>
 *
 * @param command        argv, non-empty
 * @param timeoutMinutes how long one attempt may run before its process tree is killed (default 720)
 * @param env            extra environment variables
 * @param workingDir     the command's working directory (default: the round directory)
 */
public record TrainingCommand(List<String> command, Integer timeoutMinutes, Map<String, String> env, String workingDir) {}
