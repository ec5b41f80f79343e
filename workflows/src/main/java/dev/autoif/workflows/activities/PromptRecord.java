package dev.autoif.workflows.activities;

import java.util.List;

/**
 * One (instruction, query) prompt of S6: the SFT prompt it becomes and its K responses.
 *
 * @param error why the prompt has no responses when sampling failed after all retries, else null
 */
public record PromptRecord(String query, String prompt, List<ResponseRecord> responses, String error) {}
