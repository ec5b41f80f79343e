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
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.llm.VerifierCompletions;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.activities.llm.LlmSettings;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every fault mode of the scripted server against the real client and gateway, over real HTTP. */
class ScriptedFaultsClientTest {
    static final String INSTRUCTION = "Answer in at most 12 words";
    static final FixtureBook BOOK = FixtureBook.load();

    @TempDir
    Path cacheDir;
    private final List<ScriptedLlmServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(ScriptedLlmServer::close);
    }

    private ScriptedLlmServer server(Faults faults) throws Exception {
        ScriptedLlmServer s = new ScriptedLlmServer("127.0.0.1", 0, BOOK, faults);
        servers.add(s);
        return s;
    }

    private static Faults only(Faults.Mode mode) {
        return Faults.none().withRetryAfter("3").withSlowDelay(Duration.ofMillis(2500)).withLatency(Duration.ZERO)
                .withRates(Map.of(mode, 1.0));
    }

    private static ChatCall call(ScriptedLlmServer s) {
        return new ChatCall(s.baseUrl(), null, ScriptedLlmServer.MODEL,
                List.of(new ChatCall.Message("user", VerifierPrompt.forInstruction(INSTRUCTION))), null, null, null, 0);
    }

    private LlmGateway gateway(Duration timeout) {
        return new LlmGateway(new OpenAiChatClient(timeout), new DiskCompletionCache(cacheDir));
    }

    private ApplicationFailure failure(ScriptedLlmServer s, Duration timeout) {
        return assertThrows(ApplicationFailure.class, () -> gateway(timeout).samples(call(s), 2));
    }

    @Test
    void rateLimitIsRetryableAfterTheServersDelay() throws Exception {
        ScriptedLlmServer s = server(only(Faults.Mode.RATE_LIMIT));
        ApplicationFailure f = failure(s, Duration.ofSeconds(10));
        assertEquals(FailureTypes.LLM_RATE_LIMITED, f.getType());
        assertFalse(f.isNonRetryable());
        assertEquals(Duration.ofSeconds(3), f.getNextRetryDelay());
        assertEquals(0, s.completionsServed());
    }

    @Test
    void serverErrorIsRetryable() throws Exception {
        ApplicationFailure f = failure(server(only(Faults.Mode.SERVER_ERROR)), Duration.ofSeconds(10));
        assertEquals(FailureTypes.LLM_UNAVAILABLE, f.getType());
        assertFalse(f.isNonRetryable());
        assertTrue(f.getOriginalMessage().contains("HTTP 500"), f.getOriginalMessage());
    }

    @Test
    void droppedConnectionIsRetryable() throws Exception {
        ScriptedLlmServer s = server(only(Faults.Mode.DROP));
        ApplicationFailure f = failure(s, Duration.ofSeconds(10));
        assertEquals(FailureTypes.LLM_UNAVAILABLE, f.getType());
        assertFalse(f.isNonRetryable());
        assertTrue(f.getOriginalMessage().contains("unreachable"), f.getOriginalMessage());
        assertEquals(2, s.lostCompletions());
    }

    @Test
    void malformedBodyIsRetryable() throws Exception {
        ApplicationFailure f = failure(server(only(Faults.Mode.MALFORMED)), Duration.ofSeconds(10));
        assertEquals(FailureTypes.LLM_UNAVAILABLE, f.getType());
        assertFalse(f.isNonRetryable());
        assertTrue(f.getOriginalMessage().contains("malformed"), f.getOriginalMessage());
    }

    @Test
    void slowAnswerTimesOutRetryablyOrArrivesWhenTheTimeoutAllows() throws Exception {
        ScriptedLlmServer s = server(only(Faults.Mode.SLOW));
        ApplicationFailure f = failure(s, Duration.ofMillis(500));
        assertEquals(FailureTypes.LLM_UNAVAILABLE, f.getType());
        assertTrue(f.getOriginalMessage().contains("did not answer"), f.getOriginalMessage());
        List<ChatSample> got = gateway(Duration.ofSeconds(30)).samples(call(s), 2);
        assertEquals(BOOK.answer(VerifierPrompt.forInstruction(INSTRUCTION), 0), got.get(0).content());
    }

    @Test
    void fewerChoicesThanNAreToppedUpWithTheSameSamples() throws Exception {
        ScriptedLlmServer s = server(only(Faults.Mode.FEWER).withRates(Map.of(Faults.Mode.FEWER, 0.6)));
        LlmGateway.Result r = gateway(Duration.ofSeconds(10)).fetch(call(s), 8, null);
        assertEquals(8, r.samples().size());
        for (int i = 0; i < 8; i++) {
            assertEquals(BOOK.answer(VerifierPrompt.forInstruction(INSTRUCTION), i), r.samples().get(i).content(),
                    "sample " + i + " is the one a full answer would have given");
        }
        assertTrue(s.faultsServed(Faults.Mode.FEWER) > 0, "the seed makes some answers short");
        assertEquals(1 + s.faultsServed(Faults.Mode.FEWER), r.usage().requests(), "one top-up per short answer");
        assertEquals(8, r.usage().completions());
        assertEquals(0, s.repeatedCompletions());
    }

    @Test
    void anEndpointThatKeepsAnsweringNoChoicesFailsSayingSoNeverFewerSamplesSilently() throws Exception {
        ScriptedLlmServer s = server(only(Faults.Mode.FEWER));
        ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> gateway(Duration.ofSeconds(10)).samples(call(s), 1));
        assertEquals(FailureTypes.LLM_UNAVAILABLE, f.getType());
        assertTrue(f.getOriginalMessage().contains("returned no choices"), f.getOriginalMessage());
    }

    @Test
    void truncatedAnswersAreRecordedPerSampleAndUnusableUnlessKept() throws Exception {
        ScriptedLlmServer s = server(only(Faults.Mode.TRUNCATE));
        LlmActivitiesImpl activities = new LlmActivitiesImpl(gateway(Duration.ofSeconds(10)),
                new LlmDefaults(s.baseUrl(), null, ScriptedLlmServer.MODEL, Duration.ofSeconds(10)));
        VerifierCompletions dropped = activities.generateVerifiers(new VerifierRequest("c", INSTRUCTION,
                LlmSettings.defaults(), 4, LlmRole.SUPERVISION, Stage.S2, false, null));
        for (VerifierSample v : dropped.samples()) {
            assertEquals("length", v.finishReason());
            assertTrue(v.parseError().startsWith("TRUNCATED"), v.parseError());
        }
        LlmUsage usage = dropped.usage().get(0);
        assertEquals(List.of(Stage.S2, LlmRole.SUPERVISION, ScriptedLlmServer.MODEL, 1L, 0L, 0L, 4L),
                List.of(usage.stage(), usage.role(), usage.model(), usage.requests(), usage.retries(), usage.cacheHits(),
                        usage.completions()));
        assertTrue(usage.promptTokens() > 0 && usage.completionTokens() > 0, usage.toString());

        VerifierCompletions kept = activities.generateVerifiers(new VerifierRequest("c", INSTRUCTION,
                LlmSettings.defaults(), 4, LlmRole.JUDGE, Stage.S8, true, null));
        assertEquals(4, kept.usage().get(0).cacheHits(), "same prompt: from the cache");
        assertEquals(LlmRole.JUDGE, kept.usage().get(0).role());
        for (VerifierSample v : kept.samples()) {
            assertEquals("length", v.finishReason());
            // kept: judged on what arrived -- half a JSON object does not parse, and the reason says it was cut off
            assertTrue(v.parseError().startsWith("TRUNCATED: ") && !v.parseError().contains("hit maxTokens"), v.parseError());
        }
    }

    @Test
    void drawsAreDeterministicPerSeedAndMatchTheRates() {
        Faults a = Faults.parse("429:0.1,500:0.1,drop:0.1", 42);
        Faults b = Faults.parse("429:0.1,500:0.1,drop:0.1", 42);
        Faults c = Faults.parse("429:0.1,500:0.1,drop:0.1", 43);
        int faulted = 0;
        int differ = 0;
        for (int i = 0; i < 10_000; i++) {
            Faults.Mode m = a.draw("req" + i, 0);
            assertEquals(m, b.draw("req" + i, 0));
            if (m != null) faulted++;
            if (m != c.draw("req" + i, 0)) differ++;
        }
        assertTrue(faulted > 2800 && faulted < 3200, "30% of requests: " + faulted);
        assertTrue(differ > 1000, "another seed, other faults: " + differ);
        int retriesDiffer = 0;
        for (int i = 0; i < 1000; i++) {
            if (a.draw("req" + i, 0) != a.draw("req" + i, 1)) retriesDiffer++;
        }
        assertTrue(retriesDiffer > 100, "a repeated request draws again: " + retriesDiffer);
        assertThrows(IllegalArgumentException.class, () -> Faults.parse("429:0.7,500:0.7", 0));
        assertThrows(IllegalArgumentException.class, () -> Faults.parse("teapot:0.1", 0));
        assertFalse(Faults.none().any());
    }
}
