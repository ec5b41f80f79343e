package dev.autoif.workflows.activities.store;

import java.util.List;

/**
 * The positional store activity types of histories recorded before {@value CampaignStoreCalls#CHANGE_ID} (and their
 * tasks still queued during a deploy), each a thin delegate to its request method: a worker that extends this executes
 * them. New workflow code never schedules them (see {@link CampaignStoreCalls}); they go once no run older than that
 * change can still be open.
 */
public abstract class PositionalCampaignStore implements CampaignStoreActivities {
    @Override
    public final PreparedCampaign prepareLegacy(String campaignId, SeedSource seeds, String outputDir) {
        return prepare(new PrepareCampaignRequest(campaignId, seeds, outputDir));
    }

    @Override
    public final PreparedCampaign mergeInstructionsLegacy(String outputDir, List<String> seeds, List<String> generated,
                                                          double nearDuplicateThreshold) {
        return mergeInstructions(new MergeInstructionsRequest(outputDir, seeds, generated, nearDuplicateThreshold));
    }

    @Override
    public final List<InstructionRef> readInstructionsLegacy(String outputDir, int offset, int limit) {
        return readInstructions(new ReadInstructionsRequest(outputDir, offset, limit)).instructions();
    }

    @Override
    public final void recordInstructionLegacy(String outputDir, InstructionRecord record) {
        recordInstruction(new RecordInstructionRequest(outputDir, record));
    }

    @Override
    public final InstructionRecord readInstructionLegacy(String outputDir, int index, String instructionId) {
        return readInstruction(new ReadInstructionRequest(outputDir, index, instructionId));
    }

    @Override
    public final QueryPool importQueriesLegacy(String outputDir, String queryFile, int minChars, int maxChars) {
        return importQueries(new ImportQueriesRequest(outputDir, queryFile, minChars, maxChars));
    }

    @Override
    public final void recordPromptLegacy(String outputDir, PromptRecord record) {
        recordPrompt(new RecordPromptRequest(outputDir, record));
    }

    @Override
    public final void recordResponsesLegacy(String outputDir, ResponseStageRecord record) {
        recordResponses(new RecordResponsesRequest(outputDir, record));
    }
}
