package dev.autoif.workflows.instruction;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.autoif.workflows.activities.llm.LlmSettings;

/**
 * S6 to S9 and D1 for one kept instruction: which queries it gets, how many responses are sampled, and the bars a
 * response must clear. Null in an {@link InstructionTask} when the campaign has no query file (Stage 1 only).
 *
 * @param queriesPerInstruction queries drawn for the instruction (the method: 16)
 * @param maxQueryUses          how many instructions may draw the same query
 * @param querySeed             seeds the draw, so a replay draws the same queries
 * @param responsesPerQuery     K responses sampled per (instruction, query) prompt (the method: 8)
 * @param passRateAbove         S7: a response is kept when its pass rate is strictly above this (reference 0, paper
 *                              0.5); on the wire still "minPassRate", the name recorded histories carry
 * @param judgeSamples          S8: judge samples per response
 * @param judgeScoreAbove       S8: a response is kept when its mean score is strictly above this (8); on the wire
 *                              still "minJudgeScore"
 * @param instructionLevelPairs also emit the paper's instruction-level DPO pairs from the S3 test cases
 */
public record ResponseStageSettings(
        int queriesPerInstruction,
        int maxQueryUses,
        long querySeed,
        int responsesPerQuery,
        @JsonProperty("minPassRate") double passRateAbove,
        int judgeSamples,
        @JsonProperty("minJudgeScore") double judgeScoreAbove,
        LlmSettings judge,
        boolean instructionLevelPairs) {}
