package dev.autoif.workflows.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * The campaign's artifact store: a directory of files. Every write is idempotent (whole files,
 * written atomically), so a retried activity never duplicates a row.
 */
@ActivityInterface
public interface CampaignStoreActivities {
    /** Reads and de-duplicates the seeds, writes instructions.jsonl, resolves the output directory. */
    @ActivityMethod(name = "PrepareCampaign")
    PreparedCampaign prepare(String campaignId, SeedSource seeds, String outputDir);

    /**
     * S1's merge: rewrites instructions.jsonl as the seeds followed by the generated instructions, without exact
     * duplicates and without near-duplicates (token-set Jaccard similarity >= {@code nearDuplicateThreshold}) of an
     * earlier instruction, and records every merge in merged.jsonl. A pure function of its arguments, so a retry
     * writes the same files.
     */
    @ActivityMethod(name = "MergeInstructions")
    PreparedCampaign mergeInstructions(String outputDir, List<String> seeds, List<String> generated,
                                       double nearDuplicateThreshold);

    @ActivityMethod(name = "ReadInstructions")
    List<InstructionRef> readInstructions(String outputDir, int offset, int limit);

    @ActivityMethod(name = "RecordInstruction")
    void recordInstruction(String outputDir, InstructionRecord record);

    /** The record {@link #recordInstruction} stored for an instruction: Stage 2 after an approval gate starts from it. */
    @ActivityMethod(name = "ReadInstruction")
    InstructionRecord readInstruction(String outputDir, int index, String instructionId);

    /**
     * S6: reads the user's query file (streamed), keeps the first user turn of each record inside the length window,
     * drops exact duplicates, and writes the pool to the campaign directory. Malformed records are counted and named,
     * never fatal; a missing or unreadable file is.
     */
    @ActivityMethod(name = "ImportQueries")
    QueryPool importQueries(String outputDir, String queryFile, int minChars, int maxChars);

    /** S6: the queries of one instruction: a pure function of the draw, so a retry or replay draws the same. */
    @ActivityMethod(name = "DrawQueries")
    List<String> drawQueries(QueryDraw draw);

    /** Stage 2: one prompt's responses, verdicts and pairs. */
    @ActivityMethod(name = "RecordPrompt")
    void recordPrompt(String outputDir, PromptRecord record);

    /** Stage 2: the instruction's summary, written after all its prompts. */
    @ActivityMethod(name = "RecordResponses")
    void recordResponses(String outputDir, ResponseStageRecord record);

    // The export ("ExportCampaign") is ExportActivities: long, heartbeating, with its own timeouts.
}
