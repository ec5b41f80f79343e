package dev.autoif.workflows.campaign;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.autoif.workflows.UserInput;
import dev.autoif.workflows.activities.llm.LlmSettings;
import dev.autoif.workflows.activities.llm.ModelPrice;
import java.util.List;
import java.util.Map;

/**
 * A campaign, as written in the JSON a user passes to {@code temporal workflow start --input-file}.
 * Unknown fields are rejected ({@link UserInput}). Optional fields may be left out; see {@link CampaignConfig} for
 * the defaults.
 *
 * @param seedInstructions          seed instructions inline (one of this or seedFile)
 * @param seedFile                  path, as the worker sees it, of a file with one instruction per line
 * @param supervision               the model that writes verifiers
 * @param verifiersPerInstruction   K completions asked per instruction in S2 (default 8)
 * @param preset                    "reference" (default) or "paper"
 * @param outputDir                 where the JSONL files go (default: the worker's data dir / campaign id)
 * @param maxConcurrentInstructions instruction workflows running at once (default 20)
 * @param evaluationTimeoutSeconds  per verifier call in the sandbox (default 5)
 * @param judge                     the model that judges S5 entailment and scores responses (S8); fields left out
 *                                  come from the worker
 * @param policy                    the model being aligned (online DPO); fields left out come from the worker
 * @param keepTruncated             keep completions cut off by maxTokens (finish_reason=length); default false:
 *                                  they are marked unusable with reason TRUNCATED
 * @param prices                    optional price table by model name ($ per 1M prompt/completion tokens): turns
 *                                  the funnel's token counts into cost
 * @param llmRetryInitialIntervalMillis first back-off of a failed LLM activity (default 1000; doubles up to 2 min)
 * @param selfInstructCalls         S1: how many self-instruct completions to ask for new instructions (default 0:
 *                                  no S1, only the seeds)
 * @param nearDuplicateThreshold    S1: an instruction whose word-set Jaccard similarity to an earlier one reaches
 *                                  this is merged into it (default 0.9; 1 merges only rewordings of case and
 *                                  punctuation)
 * @param consistency               S4/S5: "llm" (default) back-translates up to 3 kept functions per instruction and
 *                                  drops the instruction when an LLM entailment judge (the judge role, or the
 *                                  supervision settings when no judge is set) finds a contradiction; "onnx" does
 *                                  the same with the NLI model (e.g. mDeBERTa-v3 XNLI exported to ONNX) the
 *                                  worker loads from AUTOIF_NLI_MODEL_DIR, and fails the campaign when the worker
 *                                  has none; "none" skips S4 and S5
 * @param queryFile                 Stage 2: real user queries (ShareGPT JSON array or JSONL, or OpenAI "messages"),
 *                                  a path the worker can read; without it the campaign stops after S5
 * @param queriesPerInstruction     S6: queries drawn per kept instruction (default 16)
 * @param maxQueryUses              S6: how many instructions may draw the same query (default 4)
 * @param queryMinChars             S6: a query must be longer than this (default 20)
 * @param queryMaxChars             S6: and shorter than this (default 300)
 * @param responsesPerQuery         S6: K responses sampled per prompt (default 8)
 * @param minResponsePassRate       S7: keep responses whose verifier pass rate is above this (default by preset:
 *                                  reference 0, paper 0.5)
 * @param judgeSamples              S8: judge samples per response (default 1)
 * @param minJudgeScore             S8: keep responses whose mean judge score is above this (default 8)
 * @param instructionLevelPairs     D1: also emit the paper's instruction-level DPO pairs (default false)
 * @param targetSftRows             stop drawing instructions once this many SFT rows exist; export exactly this many
 * @param targetDpoPairs            the same for DPO pairs
 * @param budgetTokens              stop drawing instructions once the LLM calls used this many tokens
 * @param budgetUsd                 stop drawing instructions once the priced LLM calls cost this much (needs prices)
 * @param seed                      seeds every sampled choice of the campaign (queries, DPO pairs); default 0
 * @param approveBeforeStage2       after Stage 1 (S1 to S5, verifiers.jsonl exported) wait for the update
 *                                  {@code approve} or {@code reject} before any Stage 2 call (needs queryFile);
 *                                  default false
 * @param legacyResume              not an input (JSON "resume"): where a run continued as new by an earlier worker
 *                                  resumes, which carried its checkpoint inside the input (it travels beside the input
 *                                  now, as the workflow's second argument); never written. A campaign started with it
 *                                  fails naming it
 */
// Unset fields are not sent: a campaign started by a newer client reaches an older, strict worker as the user wrote
// it, instead of failing there on a field (null) that worker does not know yet.
@JsonInclude(JsonInclude.Include.NON_NULL)
@UserInput
public record CampaignInput(
        List<String> seedInstructions,
        String seedFile,
        LlmSettings supervision,
        Integer verifiersPerInstruction,
        String preset,
        String outputDir,
        Integer maxConcurrentInstructions,
        Integer evaluationTimeoutSeconds,
        LlmSettings judge,
        LlmSettings policy,
        Boolean keepTruncated,
        Map<String, ModelPrice> prices,
        Integer llmRetryInitialIntervalMillis,
        Integer selfInstructCalls,
        Double nearDuplicateThreshold,
        String consistency,
        String queryFile,
        Integer queriesPerInstruction,
        Integer maxQueryUses,
        Integer queryMinChars,
        Integer queryMaxChars,
        Integer responsesPerQuery,
        Double minResponsePassRate,
        Integer judgeSamples,
        Double minJudgeScore,
        Boolean instructionLevelPairs,
        Integer targetSftRows,
        Integer targetDpoPairs,
        Long budgetTokens,
        Double budgetUsd,
        Long seed,
        Boolean approveBeforeStage2,
        @JsonProperty("resume") @JsonDeserialize(using = CampaignCheckpoint.Tolerant.class) CampaignCheckpoint legacyResume) {

    public CampaignInput(List<String> seedInstructions, String seedFile, LlmSettings supervision,
                         Integer verifiersPerInstruction, String preset, String outputDir,
                         Integer maxConcurrentInstructions, Integer evaluationTimeoutSeconds) {
        this(seedInstructions, seedFile, supervision, verifiersPerInstruction, preset, outputDir,
                maxConcurrentInstructions, evaluationTimeoutSeconds, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The campaign as its user wrote it: without the checkpoint an earlier worker carried in it. */
    public CampaignInput withoutLegacyResume() {
        if (legacyResume == null) {
            return this;
        }
        return new CampaignInput(seedInstructions, seedFile, supervision, verifiersPerInstruction, preset, outputDir,
                maxConcurrentInstructions, evaluationTimeoutSeconds, judge, policy, keepTruncated, prices,
                llmRetryInitialIntervalMillis, selfInstructCalls, nearDuplicateThreshold, consistency, queryFile,
                queriesPerInstruction, maxQueryUses, queryMinChars, queryMaxChars, responsesPerQuery, minResponsePassRate,
                judgeSamples, minJudgeScore, instructionLevelPairs, targetSftRows, targetDpoPairs, budgetTokens, budgetUsd,
                seed, approveBeforeStage2, null);
    }
}
