package dev.autoif.workflows.activities;

import dev.autoif.workflows.campaign.Funnel;
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

    /** Assembles the per-instruction records into the campaign's JSONL files, in instruction order. */
    @ActivityMethod(name = "ExportCampaign")
    ExportedFiles export(String outputDir, String campaignId, String preset, Funnel funnel);
}
