package dev.autoif.workflows.activities.dpostore;

/**
 * Up to {@code limit} rows of {@code campaignDir/prompts.jsonl}, starting at byte {@code byteOffset} (line
 * {@code line}, for messages).
 */
public record ReadDpoPromptsRequest(String campaignDir, long byteOffset, long line, int limit) {}
