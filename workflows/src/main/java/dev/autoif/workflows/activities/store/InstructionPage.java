package dev.autoif.workflows.activities.store;

import java.util.List;

/** A page of the campaign's instruction list, in order. */
public record InstructionPage(List<InstructionRef> instructions) {}
