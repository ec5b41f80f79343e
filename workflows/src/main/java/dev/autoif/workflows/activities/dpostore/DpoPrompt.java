package dev.autoif.workflows.activities.dpostore;

import java.util.List;

/** One SFT prompt of a finished campaign (a row of prompts.jsonl) with the instruction's kept verifier functions. */
public record DpoPrompt(String instructionId, String prompt, List<String> functions) {}
