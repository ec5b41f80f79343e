package dev.autoif.workflows.activities.store;

import java.util.List;

/**
 * S6: the campaign's imported queries (first user turn of every record, inside the length window, without exact
 * duplicates), and what happened to the other records.
 *
 * @param errors the first malformed records, each named by line (JSONL) or index (JSON array)
 */
public record QueryPool(String source, long records, long queries, long malformed, long noUserTurn, long tooShort,
                        long tooLong, long duplicates, List<String> errors) {}
