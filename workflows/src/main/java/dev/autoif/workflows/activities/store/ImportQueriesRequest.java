package dev.autoif.workflows.activities.store;

/**
 * S6: imports the user's queries into the campaign's pool.
 *
 * @param queryFile the file's full location (a path or {@code s3://bucket/prefix/inputs/...})
 * @param minChars  a query is kept when {@code minChars < length < maxChars}
 */
public record ImportQueriesRequest(String outputDir, String queryFile, int minChars, int maxChars) {}
