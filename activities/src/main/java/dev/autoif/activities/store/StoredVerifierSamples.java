package dev.autoif.activities.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.CampaignKeys;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.llm.SamplesDestination;
import dev.autoif.workflows.activities.llm.VerifierSample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * S2's completions as the activity that bought them stores them, whole, for the instruction's record (see
 * {@link SamplesDestination}): written by the LLM activity, read back when the record is written.
 */
public final class StoredVerifierSamples {
    private static final ObjectMapper JSON = WireFormat.internalObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
    private static final TypeReference<List<VerifierSample>> LIST = new TypeReference<>() {};

    private StoredVerifierSamples() {
    }

    /** Overwrites: a retried activity gets the same completions (the completion cache) and writes the same bytes. */
    public static void write(ArtifactStore campaign, SamplesDestination at, List<VerifierSample> samples) {
        try {
            campaign.writeString(key(at.instructionIndex(), at.instructionId()), JSON.writeValueAsString(samples));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws ArtifactStore.ArtifactNotFoundException when S2's activity stored nothing there */
    public static List<VerifierSample> read(ArtifactStore campaign, int instructionIndex, String instructionId) {
        try {
            return JSON.readValue(campaign.read(key(instructionIndex, instructionId)), LIST);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String key(int instructionIndex, String instructionId) {
        return CampaignKeys.verifierSamples(instructionIndex, instructionId);
    }
}
