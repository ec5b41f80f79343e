package dev.autoif.workflows.activities.training;

import java.util.List;
import java.util.Map;

/**
 * One online DPO training round.
 *
 * @param round              1-based round number
 * @param runId              the online DPO workflow's id, for the log
 * @param command            argv (no shell unless argv[0] is one); placeholders substituted in every element and env
 *                           value: {round}, {pairs}, {outputDir}, {roundDir}, {previousCheckpoint}, {policyModel}
 * @param env                extra environment variables (on top of the worker's, and the AUTOIF_DPO_* ones)
 * @param timeoutMinutes     how long the command may run before its process tree is killed
 * @param workingDir         the command's working directory; null: the round directory
 * @param roundDir           the round's directory (the log and the completion marker go there)
 * @param pairsFile          the round's TRL pairs file
 * @param outputDir          where the command must write its checkpoint
 * @param previousCheckpoint the previous round's checkpoint directory; null in round 1
 * @param policyModel        the model name that sampled this round's responses (null: the worker's default)
 */
public record TrainingRequest(int round, String runId, List<String> command, Map<String, String> env, int timeoutMinutes,
                              String workingDir,
                              String roundDir, String pairsFile, String outputDir, String previousCheckpoint,
                              String policyModel) {}
