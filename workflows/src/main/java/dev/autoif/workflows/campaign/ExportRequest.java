package dev.autoif.workflows.campaign;

/**
 * Assemble the campaign's files. With a target, exactly the first {@code targetSftRows} SFT rows (or
 * {@code targetDpoPairs} pairs) in instruction order are exported; instructions that finished past the target stay in
 * the lineage files only.
 *
 * @param instructionsRecorded the instructions 0 .. n-1 have their Stage 1 record ({@code items/NNNNNN-ID.json}); the
 *                             export reads exactly those and fails naming any that is missing. Null in requests
 *                             scheduled before the field existed: then {@code funnel.finished()}.
 * @param responsesRecorded    of those, the first n went through Stage 2: each kept one has its
 *                             {@code .responses.json} and prompt records. Null: as {@code instructionsRecorded}.
 */
public record ExportRequest(String outputDir, String campaignId, Funnel funnel, CampaignConfig config,
                            Integer instructionsRecorded, Integer responsesRecorded) {

    public ExportRequest(String outputDir, String campaignId, Funnel funnel, CampaignConfig config) {
        this(outputDir, campaignId, funnel, config, null, null);
    }

    public int instructionsToExport() {
        return instructionsRecorded != null ? instructionsRecorded : funnel.finished();
    }

    public int responsesToExport() {
        return responsesRecorded != null ? responsesRecorded : instructionsToExport();
    }
}
