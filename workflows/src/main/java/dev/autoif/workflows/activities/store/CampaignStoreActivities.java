package dev.autoif.workflows.activities.store;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * The campaign's artifact store, at a location any worker opens (a directory, or {@code s3://bucket/prefix}). Every
 * write replaces a whole object, so a retried activity never duplicates a row.
 *
 * <p>Each method takes one request record, so its input evolves by adding fields. The request methods are the
 * "...V2" activity types; workflows call them through {@link CampaignStoreCalls}, behind the
 * {@value CampaignStoreCalls#CHANGE_ID} marker. The "...Legacy" methods keep the positional activity types that
 * histories recorded before that change (and their tasks still queued during a deploy) name: implementations get them
 * as thin delegates from {@link PositionalCampaignStore}; new workflow code never calls them.
 */
@ActivityInterface
public interface CampaignStoreActivities {
    /** Reads and de-duplicates the seeds, writes instructions.jsonl, resolves the campaign's location. */
    @ActivityMethod(name = "PrepareCampaignV2")
    PreparedCampaign prepare(PrepareCampaignRequest request);

    /**
     * S1's merge: rewrites instructions.jsonl as the seeds followed by the generated instructions, without exact
     * duplicates and without near-duplicates (token-set Jaccard similarity >= {@code nearDuplicateThreshold}) of an
     * earlier instruction, and records every merge in merged.jsonl. A pure function of its request, so a retry
     * writes the same objects.
     */
    @ActivityMethod(name = "MergeInstructionsV2")
    PreparedCampaign mergeInstructions(MergeInstructionsRequest request);

    @ActivityMethod(name = "ReadInstructionsV2")
    InstructionPage readInstructions(ReadInstructionsRequest request);

    @ActivityMethod(name = "RecordInstructionV2")
    void recordInstruction(RecordInstructionRequest request);

    /** The record {@link #recordInstruction} stored for an instruction: Stage 2 after an approval gate starts from it. */
    @ActivityMethod(name = "ReadInstructionV2")
    InstructionRecord readInstruction(ReadInstructionRequest request);

    /**
     * S6: reads the user's query file (streamed), keeps the first user turn of each record inside the length window,
     * drops exact duplicates, and writes the pool to the campaign. Malformed records are counted and named, never
     * fatal; a missing or unreadable file is.
     */
    @ActivityMethod(name = "ImportQueriesV2")
    QueryPool importQueries(ImportQueriesRequest request);

    /**
     * S6: the queries of one instruction: a pure function of the draw, so a retry or replay draws the same. Its
     * input was a record from the start: the type is unchanged.
     */
    @ActivityMethod(name = "DrawQueries")
    List<String> drawQueries(QueryDraw draw);

    /** Stage 2: one prompt's responses, verdicts and pairs. */
    @ActivityMethod(name = "RecordPromptV2")
    void recordPrompt(RecordPromptRequest request);

    /** Stage 2: the instruction's summary, written after all its prompts. */
    @ActivityMethod(name = "RecordResponsesV2")
    void recordResponses(RecordResponsesRequest request);

    // The export ("ExportCampaign") is ExportActivities: long, heartbeating, with its own timeouts.

    // Positional activity types of histories recorded before "store-request-records": see PositionalCampaignStore.

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalCampaignStore}). */
    @ActivityMethod(name = "PrepareCampaign")
    PreparedCampaign prepareLegacy(String campaignId, SeedSource seeds, String outputDir);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalCampaignStore}). */
    @ActivityMethod(name = "MergeInstructions")
    PreparedCampaign mergeInstructionsLegacy(String outputDir, List<String> seeds, List<String> generated,
                                             double nearDuplicateThreshold);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalCampaignStore}). */
    @ActivityMethod(name = "ReadInstructions")
    List<InstructionRef> readInstructionsLegacy(String outputDir, int offset, int limit);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalCampaignStore}). */
    @ActivityMethod(name = "RecordInstruction")
    void recordInstructionLegacy(String outputDir, InstructionRecord record);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalCampaignStore}). */
    @ActivityMethod(name = "ReadInstruction")
    InstructionRecord readInstructionLegacy(String outputDir, int index, String instructionId);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalCampaignStore}). */
    @ActivityMethod(name = "ImportQueries")
    QueryPool importQueriesLegacy(String outputDir, String queryFile, int minChars, int maxChars);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalCampaignStore}). */
    @ActivityMethod(name = "RecordPrompt")
    void recordPromptLegacy(String outputDir, PromptRecord record);

    /** Before the request records: tasks and histories scheduled by older workflow code ({@link PositionalCampaignStore}). */
    @ActivityMethod(name = "RecordResponses")
    void recordResponsesLegacy(String outputDir, ResponseStageRecord record);
}
