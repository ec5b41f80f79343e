package dev.autoif.workflows.activities.store;

/** An instruction of the campaign: its position, stable hash ID and text. */
public record InstructionRef(int index, String id, String text) {}
