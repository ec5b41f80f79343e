package dev.autoif.workflows.instruction;

import dev.autoif.workflows.ResponseDropReason;
import dev.autoif.workflows.activities.CampaignStoreActivities;
import dev.autoif.workflows.activities.CaseRecord;
import dev.autoif.workflows.activities.EvaluationBatch;
import dev.autoif.workflows.activities.EvaluationResult;
import dev.autoif.workflows.activities.InstructionRecord;
import dev.autoif.workflows.activities.JudgeRequest;
import dev.autoif.workflows.activities.JudgeVerdict;
import dev.autoif.workflows.activities.JudgeVerdicts;
import dev.autoif.workflows.activities.LlmActivities;
import dev.autoif.workflows.activities.LlmUsage;
import dev.autoif.workflows.activities.PromptRecord;
import dev.autoif.workflows.activities.QueryDraw;
import dev.autoif.workflows.activities.ResponseRecord;
import dev.autoif.workflows.activities.ResponseRequest;
import dev.autoif.workflows.activities.ResponseSample;
import dev.autoif.workflows.activities.ResponseSamples;
import dev.autoif.workflows.activities.ResponseStageRecord;
import dev.autoif.workflows.activities.SandboxActivities;
import dev.autoif.workflows.activities.VerifierRecord;
import dev.autoif.workflows.activities.VerifierRequest;
import dev.autoif.workflows.campaign.ResponseFunnel;
import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import dev.autoif.workflows.dataset.DpoPairs;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.ScoredResponse;
import dev.autoif.workflows.dataset.SftPrompt;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * S6 to S9 and D1 for one kept instruction, inside its {@link InstructionWorkflow}: draw queries, sample K responses
 * per (instruction, query) prompt, score every response with the kept functions in the sandbox (S7), have the judge
 * score the ones that pass (S8), keep the ones above the bar as SFT rows (S9), and pair responses by pass rate (D1).
 * Every response that does not become a row carries a {@link ResponseDropReason}.
 */
final class ResponseStage {
    private final InstructionTask task;
    private final ResponseStageSettings settings;
    private final LlmActivities llm;
    private final SandboxActivities sandbox;
    private final CampaignStoreActivities store;
    private final Consumer<String> stage;
    /** Turns an activity failure into a message, or rethrows it when it is fatal for the whole campaign. */
    private final Function<ActivityFailure, String> describe;
    private List<LlmUsage> usage = List.of();

    ResponseStage(InstructionTask task, LlmActivities llm, SandboxActivities sandbox, CampaignStoreActivities store,
                  Consumer<String> stage, Function<ActivityFailure, String> describe) {
        this.task = task;
        this.settings = task.responseStage();
        this.llm = llm;
        this.sandbox = sandbox;
        this.store = store;
        this.stage = stage;
        this.describe = describe;
    }

    List<LlmUsage> usage() {
        return usage;
    }

    /** A response on its way through S6 to S8; {@code reason} stays null while it is still in the running. */
    private static final class Candidate {
        final ResponseSample sample;
        List<Boolean> verdicts = List.of();
        Double passRate;
        JudgeVerdict judge;
        String reason;

        Candidate(ResponseSample sample) {
            this.sample = sample;
        }

        ResponseRecord record() {
            return new ResponseRecord(sample.text(), sample.finishReason(), verdicts, passRate, judge, reason);
        }
    }

    private record Prompt(String query, String prompt, List<Candidate> candidates, String error) {}

    ResponseFunnel run(InstructionRecord instruction) {
        List<String> functions = instruction.verifiers().stream().filter(VerifierRecord::kept).map(VerifierRecord::func).toList();
        stage.accept("S6");
        List<String> queries = store.drawQueries(new QueryDraw(task.outputDir(), task.index(),
                settings.queriesPerInstruction(), settings.maxQueryUses(), settings.querySeed()));
        List<Prompt> prompts = sample(queries);

        stage.accept("S7");
        score(prompts, functions);

        stage.accept("S8");
        judge(prompts);

        List<PreferencePair> pairs = new ArrayList<>();
        ResponseFunnel funnel = ResponseFunnel.empty();
        List<PromptRecord> records = new ArrayList<>();
        for (Prompt p : prompts) {
            List<ScoredResponse> scored = new ArrayList<>();
            Map<String, Long> dropped = new TreeMap<>();
            long rows = 0;
            for (Candidate c : p.candidates()) {
                if (c.passRate != null) {
                    scored.add(new ScoredResponse(c.sample.text(), c.passRate));
                }
                if (c.reason == null) {
                    rows++;
                } else {
                    dropped.merge(c.reason, 1L, Long::sum);
                }
            }
            // D1 pairs responses to SFT prompts only: a prompt without a single accepted response is not trained on.
            List<PreferencePair> promptPairs = rows == 0 ? List.of() : DpoPairs.build(task.instructionId(), p.prompt(),
                    scored, PreferencePair.RESPONSE_LEVEL, settings.querySeed());
            pairs.addAll(promptPairs);
            funnel = funnel.plus(new ResponseFunnel(1, p.candidates().size(), dropped, rows, promptPairs.size()));
            records.add(new PromptRecord(p.query(), p.prompt(), p.candidates().stream().map(Candidate::record).toList(), p.error()));
        }
        if (settings.instructionLevelPairs()) {
            List<PreferencePair> fromCases = instructionLevelPairs(instruction);
            pairs.addAll(fromCases);
            funnel = funnel.plus(new ResponseFunnel(0, 0, Map.of(), 0, fromCases.size()));
        }
        store.recordResponses(task.outputDir(), new ResponseStageRecord(task.index(), task.instructionId(),
                task.instruction(), functions, records, pairs));
        return funnel;
    }

    /** S6: K responses per prompt, all prompts at once; a repeated or truncated response is dropped here. */
    private List<Prompt> sample(List<String> queries) {
        List<Promise<ResponseSamples>> pending = new ArrayList<>();
        for (String query : queries) {
            ResponseRequest request = new ResponseRequest(task.campaignId(), SftPrompt.forSampling(task.instruction(), query),
                    task.supervision(), settings.responsesPerQuery(), VerifierRequest.ROLE_SUPERVISION, "S6");
            pending.add(Async.function(llm::sampleResponses, request));
        }
        List<Prompt> prompts = new ArrayList<>();
        for (int q = 0; q < queries.size(); q++) {
            String query = queries.get(q);
            String sftPrompt = SftPrompt.reference(query, task.instruction());
            ResponseSamples samples;
            try {
                samples = pending.get(q).get();
            } catch (ActivityFailure e) {
                prompts.add(new Prompt(query, sftPrompt, List.of(), "S6 sampling failed: " + describe.apply(e)));
                continue;
            }
            usage = LlmUsage.merge(usage, samples.usage());
            List<Candidate> candidates = new ArrayList<>();
            LinkedHashSet<String> seen = new LinkedHashSet<>();
            for (ResponseSample s : samples.samples()) {
                Candidate c = new Candidate(s);
                if (s.truncated() && !task.keepTruncated()) {
                    c.reason = ResponseDropReason.TRUNCATED.name();
                } else if (!seen.add(s.text())) {
                    c.reason = ResponseDropReason.DUPLICATE.name();
                }
                candidates.add(c);
            }
            prompts.add(new Prompt(query, sftPrompt, candidates, null));
        }
        return prompts;
    }

    /** S7: every distinct response of the instruction against every kept function, in one sandbox batch. */
    private void score(List<Prompt> prompts, List<String> functions) {
        LinkedHashMap<String, Integer> inputIndex = new LinkedHashMap<>();
        for (Prompt p : prompts) {
            for (Candidate c : p.candidates()) {
                if (c.reason == null) {
                    inputIndex.putIfAbsent(c.sample.text(), inputIndex.size());
                }
            }
        }
        if (inputIndex.isEmpty()) {
            return;
        }
        EvaluationResult matrix;
        try {
            matrix = sandbox.evaluate(new EvaluationBatch(task.campaignId(), task.instructionId() + "/S7", functions,
                    List.copyOf(inputIndex.keySet()), task.evaluationTimeoutSeconds()));
        } catch (ActivityFailure e) {
            String why = describe.apply(e);
            forEachAlive(prompts, c -> c.reason = ResponseDropReason.STAGE_FAILED.name());
            prompts.replaceAll(p -> new Prompt(p.query(), p.prompt(), p.candidates(), "S7 scoring failed: " + why));
            return;
        }
        forEachAlive(prompts, c -> {
            int column = inputIndex.get(c.sample.text());
            List<Boolean> verdicts = new ArrayList<>();
            int passed = 0;
            for (FunctionEvaluation row : matrix.rows()) {
                Cell cell = row.usable() ? row.cells().get(column) : null;
                Boolean v = cell == null ? null : cell.value();
                verdicts.add(v);
                if (Boolean.TRUE.equals(v)) passed++;
            }
            c.verdicts = verdicts;
            c.passRate = functions.isEmpty() ? 0.0 : (double) passed / functions.size();
            if (!(c.passRate > settings.minPassRate())) {
                c.reason = ResponseDropReason.BELOW_PASS_RATE.name();
            }
        });
    }

    /** S8: the judge scores the responses that passed S7, one activity per prompt, all prompts at once. */
    private void judge(List<Prompt> prompts) {
        Map<Prompt, Promise<JudgeVerdicts>> pending = new LinkedHashMap<>();
        Map<Prompt, List<Candidate>> judged = new HashMap<>();
        for (Prompt p : prompts) {
            List<Candidate> alive = p.candidates().stream().filter(c -> c.reason == null).toList();
            if (alive.isEmpty()) continue;
            judged.put(p, alive);
            JudgeRequest request = new JudgeRequest(task.campaignId(), task.instruction(), p.query(),
                    alive.stream().map(c -> c.sample.text()).toList(), settings.judge(), settings.judgeSamples());
            pending.put(p, Async.function(llm::judgeResponses, request));
        }
        for (Map.Entry<Prompt, Promise<JudgeVerdicts>> e : pending.entrySet()) {
            List<Candidate> alive = judged.get(e.getKey());
            JudgeVerdicts verdicts;
            try {
                verdicts = e.getValue().get();
            } catch (ActivityFailure failure) {
                String why = "S8 judging failed: " + describe.apply(failure);
                alive.forEach(c -> {
                    c.reason = ResponseDropReason.STAGE_FAILED.name();
                    c.judge = new JudgeVerdict(List.of(), List.of(), List.of(why));
                });
                continue;
            }
            usage = LlmUsage.merge(usage, verdicts.usage());
            for (int i = 0; i < alive.size(); i++) {
                Candidate c = alive.get(i);
                c.judge = verdicts.verdicts().get(i);
                if (c.judge.scores().isEmpty()) {
                    c.reason = ResponseDropReason.JUDGE_NO_SCORE.name();
                } else if (!(c.judge.mean() > settings.minJudgeScore())) {
                    c.reason = ResponseDropReason.BELOW_JUDGE_SCORE.name();
                }
            }
        }
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

    private static void forEachAlive(List<Prompt> prompts, Consumer<Candidate> action) {
        for (Prompt p : prompts) {
            for (Candidate c : p.candidates()) {
                if (c.reason == null) action.accept(c);
            }
        }
    }
}
