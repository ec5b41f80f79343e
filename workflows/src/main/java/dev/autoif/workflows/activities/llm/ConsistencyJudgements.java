package dev.autoif.workflows.activities.llm;

import java.util.List;

/** S5's labels, one per hypothesis in request order, and what the judge cost. */
public record ConsistencyJudgements(List<NliJudgement> judgements, List<LlmUsage> usage) {}
