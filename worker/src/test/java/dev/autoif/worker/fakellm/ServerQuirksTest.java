package dev.autoif.worker.fakellm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.llm.ChatCall;
import dev.autoif.activities.llm.ChatSample;
import dev.autoif.activities.llm.DiskCompletionCache;
import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.activities.llm.LlmDefaults;
import dev.autoif.activities.llm.LlmGateway;
import dev.autoif.activities.llm.OpenAiChatClient;
import dev.autoif.activities.llm.VerifierPrompt;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.activities.llm.VerifierCompletions;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.activities.llm.LlmSettings;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quirks of real OpenAI-compatible servers (llama.cpp, transformers serve), played by the scripted server, against
 * the real client and gateway over real HTTP: each is coped with and said in the usage's endpoint notes.
 */
class ServerQuirksTest {
    static final String INSTRUCTION = "Answer in at most 12 words";
    static final FixtureBook BOOK = FixtureBook.load();
    static final String PROMPT = VerifierPrompt.forInstruction(INSTRUCTION);

    @TempDir
    Path cacheDir;
    private final List<ScriptedLlmServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(ScriptedLlmServer::close);
    }

    private ScriptedLlmServer server(Faults.Mode... quirks) throws Exception {
        Map<Faults.Mode, Double> rates = new HashMap<>();
        for (Faults.Mode q : quirks) {
            rates.put(q, 1.0);
        }
        ScriptedLlmServer s = new ScriptedLlmServer("127.0.0.1", 0, BOOK, Faults.none().withRates(rates));
        servers.add(s);
        return s;
    }

    private static ChatCall call(ScriptedLlmServer s, Integer maxTokens) {
        return new ChatCall(s.baseUrl(), null, ScriptedLlmServer.MODEL, List.of(new ChatCall.Message("user", PROMPT)),
                null, null, maxTokens, 0);
    }

    private LlmGateway gateway() {
        return new LlmGateway(new OpenAiChatClient(Duration.ofSeconds(10)), new DiskCompletionCache(cacheDir));
    }

    private static boolean noted(LlmGateway.Result r, String words) {
        return r.endpointNotes().stream().anyMatch(n -> n.contains(words));
    }

    @Test
    void aServerIgnoringNGivesKSamplesThroughKRequestsWithDistinctSeedsAndItsSeedIsChecked() throws Exception {
        ScriptedLlmServer s = server(Faults.Mode.IGNORE_N);
        LlmGateway.Result r = gateway().fetch(call(s, null), 4, null);
        for (int i = 0; i < 4; i++) {
            assertEquals(BOOK.answer(PROMPT, i), r.samples().get(i).content(), "sample " + i + " has seed " + i);
        }
        assertEquals(4 + 1, r.usage().requests(), "one request per sample, plus the one seed check");
        assertEquals(4, r.usage().completions());
        assertEquals(5, s.completionsServed());
        assertTrue(noted(r, "ignores n"), r.endpointNotes().toString());
        assertFalse(noted(r, "does not honour seed"), "the same seed gave the same text: " + r.endpointNotes());
    }

    @Test
    void seedsThatDoNotReproduceAreSaidInTheUsageNotes() throws Exception {
        ScriptedLlmServer s = server(Faults.Mode.IGNORE_N, Faults.Mode.IGNORE_SEED);
        LlmActivitiesImpl activities = new LlmActivitiesImpl(gateway(),
                new LlmDefaults(s.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(10)));
        VerifierCompletions got = activities.generateVerifiers(new VerifierRequest("c", INSTRUCTION,
                LlmSettings.defaults(), 3, LlmRole.SUPERVISION, Stage.S2, false, null));
        assertEquals(3, got.samples().size());
        List<String> notes = got.usage().get(0).endpointNotes();
        assertTrue(notes.stream().anyMatch(n -> n.contains("does not honour seed")), notes.toString());
        assertEquals(1, notes.stream().filter(n -> n.contains("does not honour seed")).count(), "said once");
    }

    @Test
    void anEndOfTurnMarkerLeftInTheTextIsRemoved() throws Exception {
        ScriptedLlmServer s = server(Faults.Mode.KEEP_STOP);
        LlmGateway.Result r = gateway().fetch(call(s, null), 2, null);
        assertEquals(BOOK.answer(PROMPT, 0), r.samples().get(0).content());
        assertEquals(BOOK.answer(PROMPT, 1), r.samples().get(1).content());
        assertTrue(noted(r, "end-of-turn marker"), r.endpointNotes().toString());
    }

    @Test
    void missingUsageIsEstimatedAndSaid() throws Exception {
        ScriptedLlmServer s = server(Faults.Mode.NO_USAGE);
        LlmGateway.Result r = gateway().fetch(call(s, null), 2, null);
        assertTrue(r.usage().promptTokens() > 0 && r.usage().completionTokens() > 0, r.usage().toString());
        assertTrue(noted(r, "reports no usage"), r.endpointNotes().toString());
    }

    @Test
    void missingFinishReasonIsInferredFromTheTokenCap() throws Exception {
        ScriptedLlmServer s = server(Faults.Mode.NO_FINISH_REASON);
        LlmGateway.Result capped = gateway().fetch(call(s, 5), 1, null);
        assertEquals("length", capped.samples().get(0).finishReason(), "more tokens than maxTokens=5: cut off");
        LlmGateway.Result free = gateway().fetch(call(s, 100_000), 1, null);
        assertEquals("stop", free.samples().get(0).finishReason());
        assertTrue(noted(free, "no finish_reason"), free.endpointNotes().toString());
    }

    @Test
    void autoStructuredOutputFallsBackOnceForAServerThatRejectsIt() throws Exception {
        ScriptedLlmServer s = server(Faults.Mode.REJECT_SCHEMA);
        LlmGateway gateway = gateway();
        ChatCall.ResponseSchema schema = new ChatCall.ResponseSchema("verifier", "{\"type\": \"object\"}", true);
        ChatCall plain = call(s, null);
        ChatCall structured = new ChatCall(plain.baseUrl(), null, plain.model(), plain.messages(), null, null, null, 0, schema);
        LlmGateway.Result first = gateway.fetch(structured, 2, null);
        assertEquals(BOOK.answer(PROMPT, 0), first.samples().get(0).content());
        assertEquals(3, first.usage().requests(), "both dialects rejected, then the plain request");
        assertTrue(noted(first, "rejects response_format"), first.endpointNotes().toString());
        ChatCall other = new ChatCall(plain.baseUrl(), null, plain.model(), plain.messages(), null, null, null, 7, schema);
        assertEquals(1, gateway.fetch(other, 2, null).usage().requests(), "remembered: plain at once");

        ChatCall required = new ChatCall(plain.baseUrl(), null, plain.model(), plain.messages(), null, null, null, 9,
                new ChatCall.ResponseSchema("verifier", "{\"type\": \"object\"}", false));
        ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> gateway().fetch(required, 1, null));
        assertEquals(FailureTypes.LLM_BAD_REQUEST, f.getType());
        assertTrue(f.isNonRetryable());
        assertTrue(f.getOriginalMessage().contains("set it to auto or off"), f.getOriginalMessage());
    }

    @Test
    void llamaCppPythonsDialectIsFoundAndRemembered() throws Exception {
        ScriptedLlmServer s = server(Faults.Mode.JSON_OBJECT_ONLY);
        LlmGateway gateway = gateway();
        ChatCall plain = call(s, null);
        ChatCall.ResponseSchema schema = new ChatCall.ResponseSchema("verifier", "{\"type\": \"object\"}", false);
        LlmGateway.Result first = gateway.fetch(new ChatCall(plain.baseUrl(), null, plain.model(), plain.messages(), null,
                null, null, 0, schema), 2, null);
        assertEquals(2, first.usage().requests(), "json_schema refused with a 500, json_object + schema answered");
        assertTrue(noted(first, "json_object"), first.endpointNotes().toString());
        LlmGateway.Result next = gateway.fetch(new ChatCall(plain.baseUrl(), null, plain.model(), plain.messages(), null,
                null, null, 5, schema), 2, null);
        assertEquals(1, next.usage().requests(), "the dialect is remembered");
    }
}
