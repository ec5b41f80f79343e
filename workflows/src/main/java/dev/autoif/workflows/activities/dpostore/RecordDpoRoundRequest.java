package dev.autoif.workflows.activities.dpostore;

/** The finished round, to {@code roundDir/round.json}. */
public record RecordDpoRoundRequest(String roundDir, DpoRoundResult result) {}
