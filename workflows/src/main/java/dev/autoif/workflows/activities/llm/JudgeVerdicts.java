package dev.autoif.workflows.activities.llm;

import java.util.List;

/** One verdict per response of the {@link JudgeRequest}, in order. */
public record JudgeVerdicts(List<JudgeVerdict> verdicts, List<LlmUsage> usage) {}
