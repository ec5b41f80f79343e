package dev.autoif.activities.llm;

import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.nli.EntailmentJudge;
import dev.autoif.activities.nli.NliModelException;
import dev.autoif.activities.nli.OnnxJudgeProvider;
import dev.autoif.activities.store.StoredCompletions;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.activities.llm.BackTranslation;
import dev.autoif.workflows.activities.llm.BackTranslationRequest;
import dev.autoif.workflows.activities.llm.ConsistencyJudgements;
import dev.autoif.workflows.activities.llm.ConsistencyRequest;
import dev.autoif.workflows.activities.llm.JudgeRequest;
import dev.autoif.workflows.activities.llm.JudgeVerdict;
import dev.autoif.workflows.activities.llm.JudgeVerdicts;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.llm.NliJudgement;
import dev.autoif.workflows.activities.llm.ResponseBatch;
import dev.autoif.workflows.activities.llm.ResponseBatchRequest;
import dev.autoif.workflows.activities.llm.ResponseRequest;
import dev.autoif.workflows.activities.llm.ResponseSample;
import dev.autoif.workflows.activities.llm.ResponseSamples;
import dev.autoif.workflows.activities.llm.SamplesDestination;
import dev.autoif.workflows.activities.llm.SelfInstructCompletions;
import dev.autoif.workflows.activities.llm.SelfInstructRequest;
import dev.autoif.workflows.activities.llm.StoredJudgeRequest;
import dev.autoif.workflows.activities.llm.VerifierCompletions;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.activities.llm.ConsistencyMode;
import dev.autoif.workflows.activities.llm.LlmSettings;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

public class LlmActivitiesImpl implements LlmActivities {
    private final LlmGateway gateway;
    private final LlmDefaults defaults;
    private final OnnxJudgeProvider nli;
    /** Opens the campaign stores S2's completions are stored in (see {@link SamplesDestination}). */
    private final ArtifactStores stores;

    /** Without an NLI model (campaigns with consistency "onnx" fail, naming the setting), campaigns on disk only. */
    public LlmActivitiesImpl(LlmGateway gateway, LlmDefaults defaults) {
        this(gateway, defaults, OnnxJudgeProvider.none(), ArtifactStores.filesystemOnly());
    }

    /**
     * @param nli    the ONNX NLI judge of campaigns with consistency "onnx"
     * @param stores opens the campaigns' stores, as the store activities do
     */
    public LlmActivitiesImpl(LlmGateway gateway, LlmDefaults defaults, OnnxJudgeProvider nli, ArtifactStores stores) {
        this.gateway = gateway;
        this.defaults = defaults;
        this.nli = nli;
        this.stores = stores;
    }

    @Override
    public VerifierCompletions generateVerifiers(VerifierRequest request) {
        LlmRole role = request.role() == null ? LlmRole.SUPERVISION : request.role();
        ChatCall call = resolve(role, request.llm(), VerifierPrompt.forInstruction(request.instruction()),
                StructuredOutput.forSetting(request.llm(), "verifier", StructuredOutput.VERIFIER));
        Caller caller = Caller.current();
        LlmGateway.Result result =
                caller.heartbeating(() -> gateway.fetch(call, request.samples(), caller.payer(), request.campaignId()));
        List<ChatSample> samples = result.samples();
        List<VerifierSample> parsed = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            parsed.add(VerifierParser.parse(i, samples.get(i), request.keepTruncated()));
        }
        LlmUsage usage = caller.usage(request.stage() == null ? Stage.S2 : request.stage(), role, call, result);
        SamplesDestination destination = request.storeSamplesAt();
        if (destination == null) {
            return new VerifierCompletions(parsed, List.of(usage), false);
        }
        StoredCompletions.inCampaign(stores, destination.outputDir(), "S2's completions", campaign -> {
            StoredCompletions.writeVerifierSamples(campaign, destination, parsed);
            return null;
        });
        // The workflow needs what was parsed; the raw text is for the record, which the store completes.
        List<VerifierSample> withoutRaw = parsed.stream().map(v -> new VerifierSample(v.index(), v.finishReason(),
                v.parseError(), v.func(), v.cases(), v.rejectedCases(), null)).toList();
        return new VerifierCompletions(withoutRaw, List.of(usage), true);
    }

    @Override
    public SelfInstructCompletions selfInstruct(SelfInstructRequest request) {
        ChatCall call = resolve(LlmRole.SUPERVISION, request.llm(), SelfInstructPrompt.forSeeds(request.seeds()),
                StructuredOutput.forSetting(request.llm(), "instructions", StructuredOutput.INSTRUCTIONS));
        Caller caller = Caller.current();
        LlmGateway.Result result =
                caller.heartbeating(() -> gateway.fetch(call, request.calls(), caller.payer(), request.campaignId()));
        List<String> instructions = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (ChatSample sample : result.samples()) {
            ParseResult<List<String>> items = InstructionListParser.parse(sample.content());
            if (items.ok()) {
                instructions.addAll(items.value());
            } else {
                errors.add(items.error());
            }
        }
        LlmUsage usage = caller.usage(Stage.S1, LlmRole.SUPERVISION, call, result);
        return new SelfInstructCompletions(instructions, errors, List.of(usage));
    }

    @Override
    public BackTranslation backTranslate(BackTranslationRequest request) {
        ChatCall call = resolve(LlmRole.SUPERVISION, request.llm(), BackTranslationPrompt.forFunction(request.func()),
                StructuredOutput.forSetting(request.llm(), "instructions", StructuredOutput.INSTRUCTIONS));
        Caller caller = Caller.current();
        LlmGateway.Result result =
                caller.heartbeating(() -> gateway.fetch(call, 1, caller.payer(), request.campaignId()));
        ChatSample sample = result.samples().get(0);
        ParseResult<List<String>> parsed = "length".equals(sample.finishReason())
                ? ParseResult.fail("TRUNCATED", "the completion hit maxTokens")
                : BackTranslationParser.parse(sample.content());
        LlmUsage usage = caller.usage(Stage.S4, LlmRole.SUPERVISION, call, result);
        return new BackTranslation(parsed.ok() ? parsed.value() : List.of(), parsed.ok() ? null : parsed.error(),
                List.of(usage));
    }

    @Override
    public ConsistencyJudgements judgeConsistency(ConsistencyRequest request) {
        if (request.judgeKind() == ConsistencyMode.ONNX) {
            return judgeWithOnnx(request);
        }
        if (request.judgeKind() != ConsistencyMode.LLM) {
            throw ApplicationFailure.newNonRetryableFailure("unknown entailment judge '" + request.judgeKind() + "'",
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        Caller caller = Caller.current();
        ChatCall[] lastCall = new ChatCall[1];
        LlmGateway.Usage[] spent = {new LlmGateway.Usage(0, 0, 0, 0, 0)};
        List<List<String>> notes = new ArrayList<>(List.of(List.of()));
        EntailmentJudge judge = new LlmEntailmentJudge(prompt -> {
            ChatCall call = resolve(LlmRole.JUDGE, request.judge(), prompt);
            LlmGateway.Result result =
                    caller.heartbeating(() -> gateway.fetch(call, 1, caller.payer(), request.campaignId()));
            lastCall[0] = call;
            spent[0] = spent[0].plus(result.usage());
            notes.set(0, result.endpointNotes());
            return result.samples().get(0).content();
        });
        List<NliJudgement> judgements = new ArrayList<>();
        // Functions often back-translate to the same text: judge it once (a repeated prompt within one activity
        // would be booked as bought again, like a sample bought by an earlier attempt).
        Map<String, EntailmentJudge.Verdict> verdicts = new HashMap<>();
        for (String hypothesis : request.hypotheses()) {
            EntailmentJudge.Verdict v = verdicts.computeIfAbsent(hypothesis, h -> judge.judge(request.premise(), h));
            judgements.add(new NliJudgement(hypothesis, v.label(), v.note()));
        }
        // One usage entry for the whole activity, so that its retries are counted once, not once per pair.
        List<LlmUsage> usage = lastCall[0] == null ? List.of()
                : List.of(caller.usage(Stage.S5, LlmRole.JUDGE, lastCall[0],
                        new LlmGateway.Result(List.of(), spent[0], notes.get(0))));
        return new ConsistencyJudgements(judgements, usage);
    }

    /** S5 with the worker's ONNX NLI model: every distinct hypothesis in one batch; no LLM, so no usage. */
    private ConsistencyJudgements judgeWithOnnx(ConsistencyRequest request) {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(request.hypotheses()));
        Caller caller = Caller.current();
        List<EntailmentJudge.Verdict> verdicts;
        try {
            // The first call of a worker loads the model (seconds for mDeBERTa): heartbeat meanwhile too.
            verdicts = caller.heartbeating(() -> nli.judge().judgeAll(request.premise(), distinct));
        } catch (NliModelException e) {
            throw ApplicationFailure.newNonRetryableFailure("the ONNX NLI model " + nli.modelDir() + " cannot judge: "
                    + e.getMessage(), FailureTypes.NLI_MODEL_UNAVAILABLE);
        }
        Map<String, EntailmentJudge.Verdict> byHypothesis = new HashMap<>();
        for (int i = 0; i < distinct.size(); i++) {
            byHypothesis.put(distinct.get(i), verdicts.get(i));
        }
        List<NliJudgement> judgements = new ArrayList<>();
        for (String hypothesis : request.hypotheses()) {
            EntailmentJudge.Verdict v = byHypothesis.get(hypothesis);
            judgements.add(new NliJudgement(hypothesis, v.label(), v.note()));
        }
        return new ConsistencyJudgements(judgements, List.of());
    }

    @Override
    public ResponseSamples sampleResponses(ResponseRequest request) {
        ChatCall call = resolve(request.role(), request.llm(), request.prompt());
        Caller caller = Caller.current();
        LlmGateway.Result result =
                caller.heartbeating(() -> gateway.fetch(call, request.samples(), caller.payer(), request.campaignId()));
        return new ResponseSamples(responseSamples(result), List.of(caller.usage(request.stage(), request.role(), call, result)));
    }

    private static List<ResponseSample> responseSamples(LlmGateway.Result result) {
        return result.samples().stream().map(s -> new ResponseSample(s.content(), s.finishReason())).toList();
    }

    @Override
    public ResponseBatch sampleResponseBatch(ResponseBatchRequest request) {
        List<ResponseRequest> prompts = request.prompts();
        if (prompts.isEmpty()) {
            return new ResponseBatch(List.of(), List.of());
        }
        List<ChatCall> calls = prompts.stream().map(p -> resolve(p.role(), p.llm(), p.prompt())).toList();
        Caller caller = Caller.current();
        List<Supplier<LlmGateway.Result>> fetches = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            ResponseRequest prompt = prompts.get(i);
            ChatCall call = calls.get(i);
            fetches.add(() -> gateway.fetch(call, prompt.samples(), caller.payer(), prompt.campaignId()));
        }
        List<ConcurrentCalls.Outcome<LlmGateway.Result>> outcomes =
                caller.heartbeating(() -> ConcurrentCalls.allAtOnce(fetches));
        List<ResponseBatch.Item> items = new ArrayList<>();
        LlmGateway.Usage spent = new LlmGateway.Usage(0, 0, 0, 0, 0);
        List<String> notes = List.of();
        for (ConcurrentCalls.Outcome<LlmGateway.Result> outcome : outcomes) {
            if (outcome.failure() != null) {
                items.add(new ResponseBatch.Item(List.of(), refusedAlone(outcome.failure())));
                continue;
            }
            spent = spent.plus(outcome.value().usage());
            notes = outcome.value().endpointNotes();
            items.add(new ResponseBatch.Item(responseSamples(outcome.value()), null));
        }
        ResponseRequest first = prompts.get(0);
        // One usage entry for the whole batch, so that its retries are counted once, not once per prompt.
        LlmUsage usage = caller.usage(first.stage(), first.role(), calls.get(0), new LlmGateway.Result(List.of(), spent, notes));
        SamplesDestination destination = request.storeResponsesAt();
        if (destination == null) {
            return new ResponseBatch(items, List.of(usage));
        }
        return new ResponseBatch(storeResponses(destination, items), List.of(usage), true);
    }

    /**
     * Stores each answered prompt's responses whole at {@code destination}; returns the items as the workflow gets
     * them, each response as its digest (S7, S8 and the prompt's record read the texts from the store).
     */
    private List<ResponseBatch.Item> storeResponses(SamplesDestination destination, List<ResponseBatch.Item> items) {
        List<ResponseBatch.Item> byDigest = new ArrayList<>();
        StoredCompletions.inCampaign(stores, destination.outputDir(), "S6's responses", campaign -> {
            for (int p = 0; p < items.size(); p++) {
                ResponseBatch.Item item = items.get(p);
                List<ResponseSample> whole = item.samples().stream().map(ResponseSample::withDigest).toList();
                if (item.error() == null) {
                    StoredCompletions.writeResponses(campaign, destination, p, whole);
                }
                byDigest.add(new ResponseBatch.Item(whole.stream().map(ResponseSample::withoutText).toList(), item.error()));
            }
            return null;
        });
        return byDigest;
    }

    /**
     * The message of a failure that concerns one prompt of a batch alone (the endpoint refuses that request for good),
     * for its item. Anything else is rethrown, failing the batch: a transient failure for Temporal to retry (the other
     * prompts' samples are cached by then, so the retry pays nothing for them), or one fatal for the whole campaign.
     */
    private static String refusedAlone(Throwable failure) {
        if (failure instanceof ApplicationFailure f && f.isNonRetryable()
                && !FailureTypes.FATAL_FOR_CAMPAIGN.contains(f.getType())) {
            return f.getOriginalMessage() + " [" + f.getType() + "]";
        }
        throw ConcurrentCalls.rethrown(failure);
    }

    @Override
    public JudgeVerdicts judgeResponses(JudgeRequest request) {
        Caller caller = Caller.current();
        List<ChatCall> calls = request.responses().stream().map(response -> resolve(LlmRole.JUDGE,
                request.judge(), QualityJudgePrompt.of(request.instruction(), request.query(), response))).toList();
        List<Supplier<LlmGateway.Result>> fetches = calls.stream().<Supplier<LlmGateway.Result>>map(call ->
                () -> gateway.fetch(call, request.samplesPerResponse(), caller.payer(), request.campaignId())).toList();
        List<LlmGateway.Result> results = caller.heartbeating(() -> ConcurrentCalls.allOrFirstFailure(fetches));
        List<JudgeVerdict> verdicts = new ArrayList<>();
        LlmGateway.Usage spent = new LlmGateway.Usage(0, 0, 0, 0, 0);
        List<String> notes = List.of();
        for (LlmGateway.Result result : results) {
            spent = spent.plus(result.usage());
            notes = result.endpointNotes();
            List<Double> scores = new ArrayList<>();
            List<String> analyses = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            for (ChatSample sample : result.samples()) {
                analyses.add(sample.content());
                ParseResult<Double> score = JudgeScoreParser.parse(sample.content());
                if (score.ok()) {
                    scores.add(score.value());
                } else {
                    errors.add(score.error());
                }
            }
            verdicts.add(new JudgeVerdict(scores, analyses, errors));
        }
        // One usage entry for the whole activity, so that its retries are counted once, not once per response.
        List<LlmUsage> usage = calls.isEmpty() ? List.of()
                : List.of(caller.usage(Stage.S8, LlmRole.JUDGE, calls.get(calls.size() - 1),
                        new LlmGateway.Result(List.of(), spent, notes)));
        return new JudgeVerdicts(verdicts, usage);
    }

    @Override
    public JudgeVerdicts judgeStoredResponses(StoredJudgeRequest request) {
        List<String> responses = StoredCompletions.texts(stores, request.responses());
        return judgeResponses(new JudgeRequest(request.campaignId(), request.instruction(), request.query(), responses,
                request.judge(), request.samplesPerResponse()));
    }

    /**
     * How often an LLM call heartbeats; the LLM worker's heartbeat throttle is set to the same (WorkerRuntime), so
     * each beat reaches the server and a cancellation reaches the call within about this long.
     */
    public static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(3);

    private static final ScheduledExecutorService HEARTBEATS = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("llm-heartbeat").daemon().factory());

    /** The activity attempt (retries are accounted), who pays for new completions, and the activity to heartbeat. */
    private record Caller(int attempt, String payer, ActivityExecutionContext context) {
        static Caller current() {
            try {
                ActivityExecutionContext context = Activity.getExecutionContext();
                ActivityInfo info = context.getInfo();
                return new Caller(info.getAttempt(), info.getWorkflowId() + "/" + info.getActivityId(), context);
            } catch (RuntimeException notInAnActivity) {
                return new Caller(1, null, null); // called directly (tools, tests): first attempt, no payer
            }
        }

        /**
         * Runs a call that may take minutes, heartbeating meanwhile: with a heartbeat timeout, a worker killed
         * mid-call has its activity retried elsewhere within seconds, not after the 15-minute start-to-close timeout.
         * A heartbeat that learns the activity was cancelled (or timed out, or its workflow is gone) interrupts the
         * call, which aborts its HTTP request, and the activity ends with that cancellation instead of running on.
         */
        <T> T heartbeating(Supplier<T> call) {
            if (context == null) {
                return call.get();
            }
            Thread caller = Thread.currentThread();
            Object lock = new Object();
            AtomicReference<ActivityCompletionException> stopped = new AtomicReference<>();
            AtomicBoolean finished = new AtomicBoolean();
            ScheduledFuture<?> beat = HEARTBEATS.scheduleAtFixedRate(() -> {
                try {
                    context.heartbeat(null);
                } catch (ActivityCompletionException e) {
                    synchronized (lock) {
                        if (!finished.get() && stopped.compareAndSet(null, e)) {
                            caller.interrupt();
                        }
                    }
                    throw e; // ends the periodic heartbeat
                }
            }, 0, HEARTBEAT_EVERY.toMillis(), TimeUnit.MILLISECONDS);
            try {
                T result = call.get();
                if (stopped.get() != null) {
                    throw stopped.get();
                }
                return result;
            } catch (RuntimeException e) {
                throw stopped.get() != null ? stopped.get() : e;
            } finally {
                synchronized (lock) {
                    finished.set(true);
                    beat.cancel(false);
                    if (stopped.get() != null) {
                        Thread.interrupted(); // the interrupt was ours: the worker's thread goes back clean
                    }
                }
            }
        }

        LlmUsage usage(Stage stage, LlmRole role, ChatCall call, LlmGateway.Result result) {
            LlmGateway.Usage u = result.usage();
            return new LlmUsage(stage, role, call.model(), u.requests(), attempt - 1, u.cacheHits(), u.completions(),
                    u.promptTokens(), u.completionTokens(), null, result.endpointNotes());
        }
    }

    /** Campaign settings first, the worker's defaults for whatever they leave out. */
    ChatCall resolve(LlmSettings s, String userPrompt) {
        return resolve(LlmRole.SUPERVISION, s, userPrompt);
    }

    /** {@code role} names the campaign field in messages ("judge.baseUrl"). */
    ChatCall resolve(LlmRole role, LlmSettings given, String userPrompt) {
        return resolve(role, given, userPrompt, null);
    }

    /** @param schema what to ask for with {@code response_format}, or null for a plain prompt */
    ChatCall resolve(LlmRole role, LlmSettings given, String userPrompt, ChatCall.ResponseSchema schema) {
        LlmSettings s = given == null ? LlmSettings.defaults() : given;
        String baseUrl = s.baseUrl() != null ? s.baseUrl() : defaults.baseUrl();
        String model = s.model() != null ? s.model() : defaults.model();
        if (baseUrl == null || baseUrl.isBlank()) {
            throw ApplicationFailure.newNonRetryableFailure("no LLM endpoint: set OPENAI_BASE_URL on the worker or "
                    + "'" + role.wireName() + ".baseUrl' in the campaign", FailureTypes.LLM_NOT_FOUND);
        }
        if (model == null || model.isBlank()) {
            throw ApplicationFailure.newNonRetryableFailure("no model name: set OPENAI_MODEL on the worker or "
                    + "'" + role.wireName() + ".model' in the campaign", FailureTypes.LLM_NOT_FOUND);
        }
        String apiKey = defaults.apiKey();
        if (s.apiKeyEnv() != null) {
            apiKey = System.getenv(s.apiKeyEnv());
            if (apiKey == null) {
                throw ApplicationFailure.newNonRetryableFailure("the campaign's " + role.wireName() + ".apiKeyEnv names '" + s.apiKeyEnv()
                        + "' but the worker has no such environment variable", FailureTypes.LLM_AUTH);
            }
        }
        return new ChatCall(baseUrl, apiKey, model, List.of(new ChatCall.Message("user", userPrompt)),
                s.temperature(), s.topP(), s.maxTokens(), s.seed() == null ? 0L : s.seed(), schema);
    }
}
