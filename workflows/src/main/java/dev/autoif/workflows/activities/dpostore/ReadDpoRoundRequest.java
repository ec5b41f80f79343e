package dev.autoif.workflows.activities.dpostore;

/** The round recorded in {@code roundDir/round.json}, if it finished. */
public record ReadDpoRoundRequest(String roundDir) {}
