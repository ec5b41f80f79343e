package dev.autoif.worker.fakellm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.CampaignKeys;
import dev.autoif.activities.llm.DiskCompletionCache;
import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.nli.OnnxJudgeProvider;
import dev.autoif.activities.store.CampaignStoreActivitiesImpl;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.activities.llm.LlmSettings;
import dev.autoif.workflows.activities.llm.SamplesDestination;
import dev.autoif.workflows.activities.llm.VerifierCompletions;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.store.RecordInstructionRequest;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * S2's completions stored by the activity that bought them, and the instruction's record completed from the store:
 * the stored record is byte-identical to one written the way it was before (the samples carried in the record), on
 * separate activity instances (as separate workers) that share only the campaign's location.
 */
class StoredCompletionsTest {
    private static final String INSTRUCTION = ServerQuirksTest.INSTRUCTION;

    @TempDir
    Path tmp;

    private LlmActivitiesImpl llmWorker(ScriptedLlmServer server) throws Exception {
        LlmGateway gateway = new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(10)),
                new DiskCompletionCache(Files.createDirectories(tmp.resolve("cache"))));
        return new LlmActivitiesImpl(gateway, new LlmDefaults(server.baseUrl(), null, ScriptedLlmServer.MODEL,
                Duration.ofSeconds(10)), OnnxJudgeProvider.none(), ArtifactStores.filesystemOnly());
    }

    private static VerifierRequest request(SamplesDestination storeAt) {
        return new VerifierRequest("c", INSTRUCTION, LlmSettings.defaults(), 4, LlmRole.SUPERVISION, Stage.S2, false,
                storeAt);
    }

    private static InstructionRecord record(List<VerifierSample> samples) {
        return new InstructionRecord(7, "abc", INSTRUCTION, "reference", samples, List.of(), List.of(), List.of(),
                List.of(), null, "kept", List.of());
    }

    @Test
    void theStoredRecordIsTheOneThatCarriedItsCompletions() throws Exception {
        String campaign = Files.createDirectories(tmp.resolve("campaign")).toString();
        String before = Files.createDirectories(tmp.resolve("campaign-before")).toString();
        try (ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, ServerQuirksTest.BOOK)) {
            LlmActivitiesImpl llm = llmWorker(server);
            VerifierCompletions whole = llm.generateVerifiers(request(null));
            VerifierCompletions stored = llm.generateVerifiers(request(new SamplesDestination(campaign, 7, "abc")));
            assertEquals(4, server.completionsServed(), "the second request is served by the cache: paid once");

            assertFalse(whole.samplesStored());
            assertTrue(stored.samplesStored());
            for (int i = 0; i < 4; i++) {
                VerifierSample w = whole.samples().get(i);
                assertNotNull(w.raw());
                assertEquals(new VerifierSample(w.index(), w.finishReason(), w.parseError(), w.func(), w.cases(),
                        w.rejectedCases(), null), stored.samples().get(i), "what the workflow needs, without the raw text");
            }
            assertTrue(Files.exists(Path.of(campaign, CampaignKeys.verifierSamples(7, "abc"))));

            CampaignStoreActivitiesImpl store = new CampaignStoreActivitiesImpl(ArtifactStores.filesystemOnly(), campaign);
            store.recordInstruction(new RecordInstructionRequest(campaign, record(List.of()), true));
            store.recordInstruction(new RecordInstructionRequest(before, record(whole.samples())));
            assertEquals(Files.readString(Path.of(before, CampaignKeys.item(7, "abc"))),
                    Files.readString(Path.of(campaign, CampaignKeys.item(7, "abc"))));
        }
    }

    @Test
    void aRecordWhoseCompletionsAreNotInItsStoreFailsNamingThem() throws Exception {
        String campaign = Files.createDirectories(tmp.resolve("campaign")).toString();
        CampaignStoreActivitiesImpl store = new CampaignStoreActivitiesImpl(ArtifactStores.filesystemOnly(), campaign);
        ApplicationFailure missing = assertThrows(ApplicationFailure.class,
                () -> store.recordInstruction(new RecordInstructionRequest(campaign, record(List.of()), true)));
        assertTrue(missing.isNonRetryable());
        assertEquals(FailureTypes.STORAGE, missing.getType());
        assertTrue(missing.getOriginalMessage().contains(CampaignKeys.verifierSamples(7, "abc"))
                && missing.getOriginalMessage().contains("same store"), missing.getOriginalMessage());
        assertFalse(Files.exists(Path.of(campaign, CampaignKeys.item(7, "abc"))), "no record without its completions");
    }

    @Test
    void aStoreThisWorkerCannotOpenFailsAtOnce() throws Exception {
        try (ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, ServerQuirksTest.BOOK)) {
            ApplicationFailure failure = assertThrows(ApplicationFailure.class, () -> llmWorker(server)
                    .generateVerifiers(request(new SamplesDestination("s3://bucket/campaign", 7, "abc"))));
            assertTrue(failure.isNonRetryable());
            assertTrue(failure.getOriginalMessage().contains("s3://"), failure.getOriginalMessage());
        }
    }
}
