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
import dev.autoif.workflows.ResponseDropReason;
import dev.autoif.workflows.activities.llm.JudgeRequest;
import dev.autoif.workflows.activities.llm.JudgeVerdicts;
import dev.autoif.workflows.activities.llm.LlmSettings;
import dev.autoif.workflows.activities.llm.ResponseBatch;
import dev.autoif.workflows.activities.llm.ResponseBatchRequest;
import dev.autoif.workflows.activities.llm.ResponseRequest;
import dev.autoif.workflows.activities.llm.ResponseSample;
import dev.autoif.workflows.activities.llm.StoredJudgeRequest;
import dev.autoif.workflows.activities.llm.StoredResponses;
import dev.autoif.workflows.activities.store.PromptRecord;
import dev.autoif.workflows.activities.store.RecordPromptRequest;
import dev.autoif.workflows.activities.store.ResponseRecord;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.SftPrompt;
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
 * Completions stored by the activity that bought them (S2's verifier completions, S6's responses), read back by the
 * activities that need their text (S8) and completing the records written from the store: each stored record is
 * byte-identical to one written the way it was before (the completions carried in the record), on separate activity
 * instances (as separate workers) that share only the campaign's location.
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

    private static ResponseRequest responseRequest(String query) {
        return new ResponseRequest("c", SftPrompt.forSampling(INSTRUCTION, query), LlmSettings.defaults(), 4,
                LlmRole.SUPERVISION, Stage.S6);
    }

    /** Prompt 1's record, its responses as given (texts or nulls) and one pair of responses 0 and 1 as given. */
    private static PromptRecord promptRecord(List<String> responses, String chosen, String rejected) {
        List<ResponseRecord> records = responses.stream().map(text -> new ResponseRecord(text, "stop", List.of(true),
                1.0, null, ResponseDropReason.BELOW_JUDGE_SCORE)).toList();
        String prompt = SftPrompt.reference("query b", INSTRUCTION);
        return new PromptRecord(7, "abc", 1, "query b", prompt, records,
                List.of(new PreferencePair("abc", prompt, chosen, rejected, 1.0, 0.0, PreferencePair.RESPONSE_LEVEL)), null);
    }

    @Test
    void theStoredPromptRecordIsTheOneThatCarriedItsResponses() throws Exception {
        String campaign = Files.createDirectories(tmp.resolve("campaign")).toString();
        String before = Files.createDirectories(tmp.resolve("campaign-before")).toString();
        SamplesDestination at = new SamplesDestination(campaign, 7, "abc");
        try (ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, ServerQuirksTest.BOOK)) {
            LlmActivitiesImpl llm = llmWorker(server);
            List<ResponseRequest> prompts = List.of(responseRequest("query a"), responseRequest("query b"));
            ResponseBatch whole = llm.sampleResponseBatch(new ResponseBatchRequest(prompts));
            ResponseBatch stored = llm.sampleResponseBatch(new ResponseBatchRequest(prompts, at));
            assertEquals(8, server.completionsServed(), "the second batch is served by the cache: paid once");

            assertFalse(whole.responsesStored());
            assertTrue(stored.responsesStored());
            List<String> texts = whole.items().get(1).samples().stream().map(ResponseSample::text).toList();
            List<String> digests = stored.items().get(1).samples().stream().map(ResponseSample::digest).toList();
            assertEquals(texts.stream().map(ResponseSample::digestOf).toList(), digests);
            assertTrue(stored.items().stream().flatMap(i -> i.samples().stream()).allMatch(r -> r.text() == null),
                    "the workflow gets digests, not texts");
            assertTrue(Files.exists(Path.of(campaign, CampaignKeys.promptResponses(7, "abc", 0))));

            JudgeVerdicts judgedWhole = llm.judgeResponses(new JudgeRequest("c", INSTRUCTION, "query b",
                    List.of(texts.get(2), texts.get(0)), LlmSettings.defaults(), 1));
            JudgeVerdicts judgedStored = llm.judgeStoredResponses(new StoredJudgeRequest("c", INSTRUCTION, "query b",
                    new StoredResponses(at, 1, List.of(2, 0)), LlmSettings.defaults(), 1));
            assertEquals(judgedWhole.verdicts(), judgedStored.verdicts(), "S8 judged the same responses");

            CampaignStoreActivitiesImpl store = new CampaignStoreActivitiesImpl(ArtifactStores.filesystemOnly(), campaign);
            List<String> nulls = java.util.Collections.nCopies(4, null);
            store.recordPrompt(new RecordPromptRequest(campaign, promptRecord(nulls, digests.get(0), digests.get(1)), true));
            store.recordPrompt(new RecordPromptRequest(before, promptRecord(texts, texts.get(0), texts.get(1))));
            String key = CampaignKeys.prompt(7, "abc", 1);
            assertEquals(Files.readString(Path.of(before, key)), Files.readString(Path.of(campaign, key)));
        }
    }

    @Test
    void aPromptRecordOrJudgeWhoseResponsesAreNotInItsStoreFailsNamingThem() throws Exception {
        String campaign = Files.createDirectories(tmp.resolve("campaign")).toString();
        CampaignStoreActivitiesImpl store = new CampaignStoreActivitiesImpl(ArtifactStores.filesystemOnly(), campaign);
        List<String> nulls = java.util.Collections.nCopies(4, null);
        ApplicationFailure missing = assertThrows(ApplicationFailure.class, () -> store.recordPrompt(
                new RecordPromptRequest(campaign, promptRecord(nulls, "d0", "d1"), true)));
        assertTrue(missing.isNonRetryable());
        assertEquals(FailureTypes.STORAGE, missing.getType());
        assertTrue(missing.getOriginalMessage().contains(CampaignKeys.promptResponses(7, "abc", 1))
                && missing.getOriginalMessage().contains("same store"), missing.getOriginalMessage());
        try (ScriptedLlmServer server = new ScriptedLlmServer("127.0.0.1", 0, ServerQuirksTest.BOOK)) {
            ApplicationFailure judge = assertThrows(ApplicationFailure.class, () -> llmWorker(server).judgeStoredResponses(
                    new StoredJudgeRequest("c", INSTRUCTION, "query b", new StoredResponses(
                            new SamplesDestination(campaign, 7, "abc"), 1, List.of(0)), LlmSettings.defaults(), 1)));
            assertTrue(judge.isNonRetryable());
            assertTrue(judge.getOriginalMessage().startsWith("S6's responses are not at ")
                    && judge.getOriginalMessage().contains(CampaignKeys.promptResponses(7, "abc", 1)),
                    judge.getOriginalMessage());
            assertEquals(0, server.completionsServed(), "nothing judged, nothing paid");
        }
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
