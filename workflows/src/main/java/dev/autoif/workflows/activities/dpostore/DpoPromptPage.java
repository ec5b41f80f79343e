package dev.autoif.workflows.activities.dpostore;

import java.util.List;

/**
 * A page of prompts.jsonl.
 *
 * @param nextByteOffset where the next page starts
 * @param nextLine       its line number (1-based)
 * @param eof            nothing follows this page
 */
public record DpoPromptPage(List<DpoPrompt> prompts, long nextByteOffset, long nextLine, boolean eof) {}
