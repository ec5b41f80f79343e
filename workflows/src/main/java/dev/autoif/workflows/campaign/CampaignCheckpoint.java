package dev.autoif.workflows.campaign;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.store.QueryPool;
import dev.autoif.workflows.crossval.Thresholds;
import java.io.IOException;
import java.util.Map;

/**
 * The campaign's run state: what a run hands to the next when it continues as new (the workflow's second argument,
 * beside the user's input), so a long campaign keeps its history small and its settings as resolved at the start.
 *
 * @param queryPool Stage 2's imported queries, null when the campaign has none
 * @param control   pause and window set live; null in checkpoints written before live control existed
 * @param config    the campaign's settings as resolved at its start (defaults of the worker that started it); null
 *                  in checkpoints written before they were frozen
 * @param thresholds the S3 rules as resolved at the start (the preset's then); null in older checkpoints
 * @param inFlight   instructions started and not yet counted when the run continued as new without draining (index to
 *                   instruction ID): their children report to the next run by signal; null in older checkpoints
 *                   (those runs drained their window first)
 */
public record CampaignCheckpoint(String outputDir, int instructionCount, int nextIndex, Funnel funnel, QueryPool queryPool,
                                 CampaignControl control, CampaignConfig config, Thresholds thresholds,
                                 Map<Integer, String> inFlight) {

    public CampaignCheckpoint(String outputDir, int instructionCount, int nextIndex, Funnel funnel, QueryPool queryPool,
                              CampaignControl control, CampaignConfig config, Thresholds thresholds) {
        this(outputDir, instructionCount, nextIndex, funnel, queryPool, control, config, thresholds, null);
    }

    /**
     * Where an earlier worker carried the checkpoint inside the strict {@link CampaignInput} ({@code resume}), it is
     * read tolerantly all the same: internal state, written by another version of this code.
     */
    static final class Tolerant extends JsonDeserializer<CampaignCheckpoint> {
        private static final ObjectMapper INTERNAL = WireFormat.internalObjectMapper();

        @Override
        public CampaignCheckpoint deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode tree = p.readValueAsTree();
            return INTERNAL.treeToValue(tree, CampaignCheckpoint.class);
        }
    }
}
