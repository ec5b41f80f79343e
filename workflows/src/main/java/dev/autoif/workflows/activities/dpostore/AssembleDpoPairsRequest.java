package dev.autoif.workflows.activities.dpostore;

/** Pages 0..pages-1 concatenated into {@code roundDir/dpo_pairs.jsonl}. */
public record AssembleDpoPairsRequest(String roundDir, int pages) {}
