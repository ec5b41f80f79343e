package dev.autoif.workflows.activities.llm;

import java.util.List;

/**
 * S4's answer for one function.
 *
 * @param instructions the back-translated instructions, empty when the completion could not be parsed
 * @param parseError   why it could not be parsed (reason code and detail), null when it could
 */
public record BackTranslation(List<String> instructions, String parseError, List<LlmUsage> usage) {}
