package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * Some of S6's responses to one prompt, by reference: S6's activity stored the prompt's responses whole in the
 * campaign, so S7, S8 and the prompt's record read them there instead of carrying their text through the history
 * again (a real model's responses are the largest payload of Stage 2).
 *
 * @param at          the instruction's place in its campaign
 * @param promptIndex which of the instruction's prompts
 * @param samples     which of the prompt's responses (0-based, in order)
 */
public record StoredResponses(SamplesDestination at, int promptIndex, List<Integer> samples) {}
