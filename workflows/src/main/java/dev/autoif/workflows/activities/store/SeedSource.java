package dev.autoif.workflows.activities.store;

import java.util.List;

/** Where a campaign's seed instructions come from: inline, or a file the worker can read. */
public record SeedSource(List<String> inline, String file) {}
