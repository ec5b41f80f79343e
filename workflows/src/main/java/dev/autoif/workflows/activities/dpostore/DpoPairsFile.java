package dev.autoif.workflows.activities.dpostore;

/** A round's assembled TRL pairs file and how many rows it holds. */
public record DpoPairsFile(String path, long pairs) {}
