package dev.autoif.workflows.dataset;

import java.util.List;

/**
 * One accepted S9 training row: a (query, instruction) prompt and a response that passed the verifiers (S7) and the
 * quality judge (S8).
 *
 * @param prompt      what the model is trained to answer: {@link SftPrompt#reference} of query and instruction
 * @param passRate    share of the instruction's kept functions that accepted the response
 * @param judgeScores the S8 judge's scores (0..10), one per judge sample that could be parsed
 */
public record SftExample(String instructionId, String instruction, String query, String prompt, String response,
                         double passRate, List<Double> judgeScores) {}
