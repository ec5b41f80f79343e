package dev.autoif.activities.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.CampaignKeys;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.llm.ResponseSample;
import dev.autoif.workflows.activities.llm.SamplesDestination;
import dev.autoif.workflows.activities.llm.StoredResponses;
import dev.autoif.workflows.activities.llm.VerifierSample;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Function;

/**
 * Completions as the LLM activity that bought them stores them, whole (see {@link SamplesDestination}): S2's verifier
 * completions and S6's responses, read back by the activities and record writes that need their text. Writes
 * overwrite: a retried activity gets the same completions (the completion cache) and writes the same bytes.
 */
public final class StoredCompletions {
    private static final ObjectMapper JSON = WireFormat.internalObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
    private static final TypeReference<List<VerifierSample>> VERIFIER_SAMPLES = new TypeReference<>() {};
    private static final TypeReference<List<ResponseSample>> RESPONSES = new TypeReference<>() {};

    private StoredCompletions() {
    }

    public static void writeVerifierSamples(ArtifactStore campaign, SamplesDestination at, List<VerifierSample> samples) {
        write(campaign, CampaignKeys.verifierSamples(at.instructionIndex(), at.instructionId()), samples);
    }

    /** @throws ArtifactStore.ArtifactNotFoundException when S2's activity stored nothing there */
    public static List<VerifierSample> readVerifierSamples(ArtifactStore campaign, int instructionIndex, String instructionId) {
        return read(campaign, CampaignKeys.verifierSamples(instructionIndex, instructionId), VERIFIER_SAMPLES);
    }

    /** One prompt's responses, each with its text and digest. */
    public static void writeResponses(ArtifactStore campaign, SamplesDestination at, int promptIndex,
                                      List<ResponseSample> responses) {
        write(campaign, CampaignKeys.promptResponses(at.instructionIndex(), at.instructionId(), promptIndex), responses);
    }

    /** @throws ArtifactStore.ArtifactNotFoundException when S6's activity stored nothing there */
    public static List<ResponseSample> readResponses(ArtifactStore campaign, int instructionIndex, String instructionId,
                                                     int promptIndex) {
        return read(campaign, CampaignKeys.promptResponses(instructionIndex, instructionId, promptIndex), RESPONSES);
    }

    /** The texts of the responses a reference names, in its order, read as an activity reads (see {@link #inCampaign}). */
    public static List<String> texts(ArtifactStores stores, StoredResponses ref) {
        List<ResponseSample> stored = inCampaign(stores, ref.at().outputDir(), "S6's responses", campaign ->
                readResponses(campaign, ref.at().instructionIndex(), ref.at().instructionId(), ref.promptIndex()));
        return ref.samples().stream().map(i -> stored.get(i).text()).toList();
    }

    /**
     * Runs {@code op} on the campaign's store as an activity: a location this worker has no backend for, or completions
     * missing where an LLM activity reported storing them, fail for good (a deployment error, named); a store that is
     * down or full fails for Temporal to retry (the completions then come from the cache).
     *
     * @param what what is stored or read, for messages ("S6's responses")
     */
    public static <T> T inCampaign(ArtifactStores stores, String outputDir, String what, Function<ArtifactStore, T> op) {
        try {
            return op.apply(stores.open(outputDir));
        } catch (ArtifactStore.ArtifactNotFoundException e) {
            throw notStored(what, e);
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure("cannot reach " + what + ": " + e.getMessage(),
                    FailureTypes.STORAGE);
        } catch (UncheckedIOException e) {
            throw ApplicationFailure.newFailure("cannot reach " + what + " in " + outputDir + ": " + e.getMessage(),
                    FailureTypes.STORAGE);
        }
    }

    /**
     * The failure of a read that found nothing where an LLM activity reported storing completions: a worker whose
     * store is not this one (a mis-deployment), which no retry mends.
     */
    public static ApplicationFailure notStored(String what, ArtifactStore.ArtifactNotFoundException missing) {
        return ApplicationFailure.newNonRetryableFailure(what + " are not at " + missing.getCause().getMessage()
                + ": do the LLM workers use the same store as this one?", FailureTypes.STORAGE);
    }

    private static void write(ArtifactStore campaign, String key, Object completions) {
        try {
            campaign.writeString(key, JSON.writeValueAsString(completions));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T read(ArtifactStore campaign, String key, TypeReference<T> type) {
        try {
            return JSON.readValue(campaign.read(key), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
