package dev.autoif.workflows.activities.store;

/** S6: draw up to {@code count} queries for the instruction at {@code instructionIndex} from the campaign's pool. */
public record QueryDraw(String outputDir, int instructionIndex, int count, int maxUses, long seed) {}
