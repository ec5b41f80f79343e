package dev.autoif.workflows.activities.store;

/**
 * Stores one instruction's full record (lineage, pass matrix, verdict) in the campaign.
 *
 * @param samplesInStore the record's S2 samples are the ones S2's activity stored (see
 *                       {@link dev.autoif.workflows.activities.llm.SamplesDestination}): the store writes those,
 *                       whole, in their place
 */
public record RecordInstructionRequest(String outputDir, InstructionRecord record, boolean samplesInStore) {

    public RecordInstructionRequest(String outputDir, InstructionRecord record) {
        this(outputDir, record, false);
    }
}
