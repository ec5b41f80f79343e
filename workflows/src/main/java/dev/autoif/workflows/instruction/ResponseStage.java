package dev.autoif.workflows.instruction;

import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.ResponseDropReason;
import dev.autoif.workflows.SearchAttributes;
import dev.autoif.workflows.Stage;
import dev.autoif.workflows.activities.store.CaseRecord;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.llm.JudgeRequest;
import dev.autoif.workflows.activities.llm.JudgeVerdict;
import dev.autoif.workflows.activities.llm.JudgeVerdicts;
import dev.autoif.workflows.activities.llm.LlmActivities;
import dev.autoif.workflows.activities.llm.LlmUsage;
import dev.autoif.workflows.activities.store.PromptRecord;
import dev.autoif.workflows.activities.store.QueryDraw;
import dev.autoif.workflows.activities.llm.ResponseBatch;
import dev.autoif.workflows.activities.llm.ResponseBatchRequest;
import dev.autoif.workflows.activities.store.ResponseRecord;
import dev.autoif.workflows.activities.llm.ResponseRequest;
import dev.autoif.workflows.activities.llm.ResponseSample;
import dev.autoif.workflows.activities.llm.ResponseSamples;
import dev.autoif.workflows.activities.llm.SamplesDestination;
import dev.autoif.workflows.activities.llm.StoredJudgeRequest;
import dev.autoif.workflows.activities.llm.StoredResponses;
import dev.autoif.workflows.activities.sandbox.StoredEvaluationBatch;
import dev.autoif.workflows.activities.store.ResponseStageRecord;
import dev.autoif.workflows.activities.store.CampaignStoreCalls;
import dev.autoif.workflows.activities.store.RecordPromptRequest;
import dev.autoif.workflows.activities.store.RecordResponsesRequest;
import dev.autoif.workflows.activities.sandbox.SandboxActivities;
import dev.autoif.workflows.activities.store.VerifierRecord;
import dev.autoif.workflows.activities.llm.VerifierRequest;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import dev.autoif.workflows.dataset.DpoPairs;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.ScoredResponse;
import dev.autoif.workflows.dataset.SftPrompt;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * S6 to S9 and D1 for one kept instruction, inside its {@link InstructionWorkflow}: draw queries, sample K responses
 * per (instruction, query) prompt, score every response with the kept functions in the sandbox (S7), have the judge
 * score the ones that pass (S8), keep the ones above the bar as SFT rows (S9), and pair responses by pass rate (D1).
 * Every response that does not become a row carries a {@link ResponseDropReason}.
 */
final class ResponseStage {
    /** The change ID of S6 in one activity per instruction rather than one per prompt. */
    static final String BATCHED_SAMPLING = "s6-one-activity-per-instruction";

    private final InstructionTask task;
    private final ResponseStageSettings settings;
    private final LlmActivities llm;
    private final SandboxActivities sandbox;
    private final CampaignStoreCalls storeCalls;
    private final Consumer<String> stage;
    /** Turns an activity failure into a message, or rethrows it when it is fatal for the whole campaign. */
    private final Function<ActivityFailure, String> describe;
    private List<LlmUsage> usage = List.of();
    /** Where S6 is asked to store the responses; null on the positional store branch (see CampaignStoreCalls). */
    private SamplesDestination responsesDestination;
    /**
     * S6's activity stored the responses and returned their digests: S7, S8 and the prompts' records take them by
     * reference. Decided by the recorded result, so a worker from before (whole responses) and old histories replay.
     */
    private boolean responsesStored;

    ResponseStage(InstructionTask task, LlmActivities llm, SandboxActivities sandbox, CampaignStoreCalls storeCalls,
                  Consumer<String> stage, Function<ActivityFailure, String> describe) {
        this.task = task;
        this.settings = task.responseStage();
        this.llm = llm;
        this.sandbox = sandbox;
        this.storeCalls = storeCalls;
        this.stage = stage;
        this.describe = describe;
    }

    List<LlmUsage> usage() {
        return usage;
    }

    /** A response on its way through S6 to S8; {@code reason} stays null while it is still in the running. */
    private static final class Candidate {
        /** Its position among the prompt's samples, by which the stored responses are referenced. */
        final int index;
        final ResponseSample sample;
        List<Boolean> verdicts = List.of();
        Double passRate;
        JudgeVerdict judge;
        ResponseDropReason reason;

        Candidate(int index, ResponseSample sample) {
            this.index = index;
            this.sample = sample;
        }

        ResponseRecord record() {
            return new ResponseRecord(sample.text(), sample.finishReason(), verdicts, passRate, judge, reason);
        }
    }

    ResponseFunnel run(InstructionRecord instruction) {
        List<String> functions = instruction.verifiers().stream().filter(VerifierRecord::kept).map(VerifierRecord::func).toList();
        stage.accept(SearchAttributes.STAGE_RESPONSES);
        responsesDestination = storeCalls.samplesDestination(task.outputDir(), task.index(), task.instructionId());
        List<String> queries = storeCalls.drawQueries(new QueryDraw(task.outputDir(), task.index(),
                settings.queriesPerInstruction(), settings.maxQueryUses(), settings.querySeed()));
        // One pipeline per prompt, all at once: payloads stay one prompt's responses (a few tens of KB), far below
        // Temporal's 2 MB limit, and the sandbox worker packs the prompts' batches into shared containers anyway.
        // S6 of every prompt goes in one activity (its requests concurrent): one activity per prompt cost Temporal
        // more per LLM request than the request itself at hundreds in flight. Runs from before keep one per prompt.
        List<Supplier<List<Candidate>>> sampling = new ArrayList<>();
        if (!queries.isEmpty() && Workflow.getVersion(BATCHED_SAMPLING, Workflow.DEFAULT_VERSION, 1) >= 1) {
            sampling.addAll(sampleAll(queries));
        } else {
            queries.forEach(query -> sampling.add(() -> sample(query)));
        }
        List<Promise<ResponseFunnel>> pending = new ArrayList<>();
        for (int q = 0; q < queries.size(); q++) {
            int promptIndex = q;
            String query = queries.get(q);
            Supplier<List<Candidate>> sampled = sampling.get(q);
            pending.add(Async.function(() -> prompt(promptIndex, query, functions, sampled)));
        }
        ResponseFunnel funnel = ResponseFunnel.empty();
        for (Promise<ResponseFunnel> p : pending) {
            funnel = funnel.plus(p.get());
        }
        List<PreferencePair> fromCases = settings.instructionLevelPairs() ? instructionLevelPairs(instruction) : List.of();
        funnel = funnel.plus(new ResponseFunnel(0, 0, Map.of(), 0, fromCases.size()));
        storeCalls.recordResponses(new RecordResponsesRequest(task.outputDir(), new ResponseStageRecord(task.index(),
                task.instructionId(), task.instruction(), functions, queries.size(), fromCases)));
        return funnel;
    }

    /**
     * S6 to S9 and D1 for one (instruction, query) prompt; its record is stored before it returns its counts.
     *
     * @param sampled S6: the prompt's candidates, or a {@link StageFailure}
     */
    private ResponseFunnel prompt(int promptIndex, String query, List<String> functions, Supplier<List<Candidate>> sampled) {
        String sftPrompt = SftPrompt.reference(query, task.instruction());
        String error = null;
        List<Candidate> candidates = List.of();
        try {
            candidates = sampled.get();
            score(promptIndex, candidates, functions);
            judge(promptIndex, query, candidates);
        } catch (StageFailure failure) {
            error = failure.getMessage();
        }
        List<ScoredResponse> scored = new ArrayList<>();
        Map<String, Long> dropped = new TreeMap<>();
        long rows = 0;
        for (Candidate c : candidates) {
            if (c.passRate != null) {
                scored.add(new ScoredResponse(c.sample.identity(), c.passRate));
            }
            if (c.reason == null) {
                rows++;
            } else {
                dropped.merge(c.reason.name(), 1L, Long::sum);
            }
        }
        // D1 pairs responses to SFT prompts only: a prompt without a single accepted response is not trained on.
        // Responses in the store are paired by digest, the same pairs as by text; the store writes the texts.
        List<PreferencePair> pairs = rows == 0 ? List.of() : DpoPairs.build(task.instructionId(), sftPrompt, scored,
                PreferencePair.RESPONSE_LEVEL, settings.querySeed());
        storeCalls.recordPrompt(new RecordPromptRequest(task.outputDir(), new PromptRecord(task.index(),
                task.instructionId(), promptIndex, query, sftPrompt, candidates.stream().map(Candidate::record).toList(),
                pairs, error), responsesStored && !candidates.isEmpty())); // a prompt refused at S6 stored nothing
        return new ResponseFunnel(1, candidates.size(), dropped, rows, pairs.size());
    }

    /** A stage of one prompt failed after all its retries: its responses are dropped with the message. */
    private static final class StageFailure extends RuntimeException {
        StageFailure(String message) {
            super(message);
        }
    }

    /** S6: K responses to the prompt, in an activity of its own (runs from before {@link #BATCHED_SAMPLING}). */
    private List<Candidate> sample(String query) {
        ResponseSamples samples;
        try {
            samples = llm.sampleResponses(samplingRequest(query));
        } catch (ActivityFailure e) {
            throw new StageFailure("S6 sampling failed: " + describe.apply(e));
        }
        usage = LlmUsage.merge(usage, samples.usage());
        return candidates(samples.samples());
    }

    /**
     * S6 of every prompt in one activity; per prompt, its candidates or the failure of its sampling (the whole batch's,
     * or its own request's).
     */
    private List<Supplier<List<Candidate>>> sampleAll(List<String> queries) {
        ResponseBatch batch;
        try {
            batch = llm.sampleResponseBatch(new ResponseBatchRequest(queries.stream().map(this::samplingRequest).toList(),
                    responsesDestination));
        } catch (ActivityFailure e) {
            String why = "S6 sampling failed: " + describe.apply(e);
            return queries.stream().<Supplier<List<Candidate>>>map(q -> () -> {
                throw new StageFailure(why);
            }).toList();
        }
        usage = LlmUsage.merge(usage, batch.usage());
        responsesStored = batch.responsesStored();
        return batch.items().stream().<Supplier<List<Candidate>>>map(item -> () -> {
            if (item.error() != null) {
                throw new StageFailure("S6 sampling failed: " + item.error());
            }
            return candidates(item.samples());
        }).toList();
    }

    private ResponseRequest samplingRequest(String query) {
        return new ResponseRequest(task.campaignId(), SftPrompt.forSampling(task.instruction(), query), task.supervision(),
                settings.responsesPerQuery(), LlmRole.SUPERVISION, Stage.S6);
    }

    /** The prompt's responses as candidates; a repeated or truncated response is dropped here. */
    private List<Candidate> candidates(List<ResponseSample> samples) {
        List<Candidate> candidates = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (ResponseSample s : samples) {
            Candidate c = new Candidate(candidates.size(), s);
            if (s.truncated() && !task.keepTruncated()) {
                c.reason = ResponseDropReason.TRUNCATED;
            } else if (!seen.add(s.identity())) {
                c.reason = ResponseDropReason.DUPLICATE;
            }
            candidates.add(c);
        }
        return candidates;
    }

    /** S7: the prompt's distinct responses against every kept function, in one sandbox batch. */
    private void score(int promptIndex, List<Candidate> candidates, List<String> functions) {
        List<Candidate> alive = candidates.stream().filter(c -> c.reason == null).toList();
        if (alive.isEmpty()) {
            return;
        }
        EvaluationResult matrix;
        try {
            String label = task.instructionId() + "/S7";
            matrix = responsesStored
                    ? sandbox.evaluateStoredResponses(new StoredEvaluationBatch(task.campaignId(), label, functions,
                            stored(promptIndex, alive), task.evaluationTimeoutSeconds()))
                    : sandbox.evaluate(new EvaluationBatch(task.campaignId(), label, functions,
                            alive.stream().map(c -> c.sample.text()).toList(), task.evaluationTimeoutSeconds()));
        } catch (ActivityFailure e) {
            String why = "S7 scoring failed: " + describe.apply(e);
            alive.forEach(c -> c.reason = ResponseDropReason.STAGE_FAILED);
            throw new StageFailure(why);
        }
        for (int column = 0; column < alive.size(); column++) {
            Candidate c = alive.get(column);
            List<Boolean> verdicts = new ArrayList<>();
            int passed = 0;
            for (FunctionEvaluation row : matrix.rows()) {
                Boolean v = row.usable() ? row.cells().get(column).value() : null;
                verdicts.add(v);
                if (Boolean.TRUE.equals(v)) passed++;
            }
            c.verdicts = verdicts;
            c.passRate = functions.isEmpty() ? 0.0 : (double) passed / functions.size();
            if (!(c.passRate > settings.passRateAbove())) {
                c.reason = ResponseDropReason.BELOW_PASS_RATE;
            }
        }
    }

    /** S8: the judge scores the responses that passed S7. */
    private void judge(int promptIndex, String query, List<Candidate> candidates) {
        List<Candidate> alive = candidates.stream().filter(c -> c.reason == null).toList();
        if (alive.isEmpty()) {
            return;
        }
        JudgeVerdicts verdicts;
        try {
            verdicts = responsesStored
                    ? llm.judgeStoredResponses(new StoredJudgeRequest(task.campaignId(), task.instruction(), query,
                            stored(promptIndex, alive), settings.judge(), settings.judgeSamples()))
                    : llm.judgeResponses(new JudgeRequest(task.campaignId(), task.instruction(), query,
                            alive.stream().map(c -> c.sample.text()).toList(), settings.judge(), settings.judgeSamples()));
        } catch (ActivityFailure failure) {
            String why = "S8 judging failed: " + describe.apply(failure);
            alive.forEach(c -> c.reason = ResponseDropReason.STAGE_FAILED);
            throw new StageFailure(why);
        }
        usage = LlmUsage.merge(usage, verdicts.usage());
        for (int i = 0; i < alive.size(); i++) {
            Candidate c = alive.get(i);
            c.judge = verdicts.verdicts().get(i);
            if (c.judge.scores().isEmpty()) {
                c.reason = ResponseDropReason.JUDGE_NO_SCORE;
            } else if (!(c.judge.mean() > settings.judgeScoreAbove())) {
                c.reason = ResponseDropReason.BELOW_JUDGE_SCORE;
            }
        }
    }

    private StoredResponses stored(int promptIndex, List<Candidate> candidates) {
        return new StoredResponses(responsesDestination, promptIndex, candidates.stream().map(c -> c.index).toList());
    }

    /**
     * The paper's instruction-level pairs: the instruction alone as the prompt, a kept S3 test case most kept functions
     * accept as chosen and one they all reject as rejected.
     */
    private List<PreferencePair> instructionLevelPairs(InstructionRecord instruction) {
        List<Integer> keptRows = new ArrayList<>();
        for (int f = 0; f < instruction.verifiers().size(); f++) {
            if (instruction.verifiers().get(f).kept()) keptRows.add(f);
        }
        List<ScoredResponse> cases = new ArrayList<>();
        for (CaseRecord c : instruction.cases()) {
            int column = instruction.matrixInputs().indexOf(c.input());
            if (!c.kept() || column < 0 || keptRows.isEmpty()) continue;
            long accepted = keptRows.stream().map(f -> instruction.matrix().get(f))
                    .filter(row -> row.usable() && Boolean.TRUE.equals(row.cells().get(column).value())).count();
            cases.add(new ScoredResponse(c.input(), (double) accepted / keptRows.size()));
        }
        return DpoPairs.build(task.instructionId(), task.instruction(), cases, PreferencePair.INSTRUCTION_LEVEL,
                settings.querySeed());
    }
}
