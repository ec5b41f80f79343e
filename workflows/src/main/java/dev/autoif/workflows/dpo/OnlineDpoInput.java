package dev.autoif.workflows.dpo;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.autoif.workflows.UserInput;
import java.util.List;

/**
 * Online DPO (METHOD D1/D2, "online"), as written in the JSON a user passes to {@code temporal workflow start --type
 * AutoifOnlineDpo --task-queue autoif-workflows --input-file dpo.json}. Unknown fields are rejected ({@link UserInput}). For each entry of
 * {@code rounds}, in order: that round's policy samples {@code samplesPerPrompt} responses to every prompt of the
 * campaign, the verifiers score them, pairs are drawn (chosen pass rate >= 0.5, rejected 0, <= 4 per prompt) into
 * {@code outputDir/round-N/dpo_pairs.jsonl}, and the training command trains on them.
 *
 * @param campaignDir            a finished campaign's output directory, as the workers see it; its
 *                               {@code prompts.jsonl} holds one row per SFT prompt: {"instructionId", "instruction",
 *                               "query", "prompt", "functions": [python source, ...]}
 * @param rounds                 one entry per iteration, each {"policy": LlmSettings}: the endpoint serving that
 *                               round's policy (round N+1's should serve the checkpoint round N trained); fields left
 *                               out come from the worker (OPENAI_BASE_URL, OPENAI_MODEL)
 * @param samplesPerPrompt       K responses sampled per prompt (default 8, 2..128)
 * @param temperature            sampling temperature (default 0.8) unless a round's policy sets its own
 * @param training               the training command, see {@link TrainingCommand}
 * @param outputDir              where round-1/, round-2/... go (default: {@code campaignDir/online-dpo}); a round whose
 *                               {@code round.json} already exists there is not redone
 * @param seed                   draws of the pairs and, when a round's policy sets no seed, the sampling seed (each
 *                               round samples with {@code seed + round * 1000003}, so two rounds served under the same
 *                               endpoint and model name are never answered from the LLM cache); default 0
 * @param maxConcurrentPrompts   prompts sampled and scored at once (default 8, at most 200)
 * @param evaluationTimeoutSeconds per verifier call in the sandbox (default 5)
 * @param promptsPerPage         prompts read, scored and written per page (default 20, at most 500): the unit of
 *                               progress and of workflow history
 * @param llmRetryInitialIntervalMillis first back-off of a failed LLM call (default 1000)
 */
// Unset fields are not sent: a campaign started by a newer client reaches an older, strict worker as the user wrote
// it, instead of failing there on a field (null) that worker does not know yet.
@JsonInclude(JsonInclude.Include.NON_NULL)
@UserInput
public record OnlineDpoInput(
        String campaignDir,
        List<DpoRoundSpec> rounds,
        Integer samplesPerPrompt,
        Double temperature,
        TrainingCommand training,
        String outputDir,
        Long seed,
        Integer maxConcurrentPrompts,
        Integer evaluationTimeoutSeconds,
        Integer promptsPerPage,
        Integer llmRetryInitialIntervalMillis) {}
