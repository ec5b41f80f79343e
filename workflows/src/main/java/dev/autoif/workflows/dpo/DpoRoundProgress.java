package dev.autoif.workflows.dpo;

/** What a round workflow reports to its parent after every page and when training starts. */
public record DpoRoundProgress(int round, String stage, long promptsDone, long pairs) {}
