package dev.autoif.workflows.campaign;

import dev.autoif.workflows.LlmRole;
import dev.autoif.workflows.activities.llm.ConsistencyMode;
import dev.autoif.workflows.activities.llm.LlmSettings;
import dev.autoif.workflows.activities.llm.ModelPrice;
import dev.autoif.workflows.crossval.Preset;
import dev.autoif.workflows.instruction.ResponseStageSettings;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link CampaignInput} checked and completed with defaults. Construction fails with an
 * {@link IllegalArgumentException} whose message names the offending field, so a bad campaign
 * fails at once and says what to fix.
 */
public record CampaignConfig(
        List<String> seedInstructions,
        String seedFile,
        LlmSettings supervision,
        int verifiersPerInstruction,
        Preset preset,
        String outputDir,
        int maxConcurrentInstructions,
        int evaluationTimeoutSeconds,
        LlmSettings judge,
        LlmSettings policy,
        boolean keepTruncated,
        Map<String, ModelPrice> prices,
        int llmRetryInitialIntervalMillis,
        int selfInstructCalls,
        double nearDuplicateThreshold,
        ConsistencyMode consistency,
        LlmSettings consistencyJudge,
        String queryFile,
        int queryMinChars,
        int queryMaxChars,
        ResponseStageSettings responseStage,
        Integer targetSftRows,
        Integer targetDpoPairs,
        Long budgetTokens,
        Double budgetUsd,
        long seed,
        boolean approveBeforeStage2) {

    public static final double DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.9;

    public static final int DEFAULT_LLM_RETRY_INITIAL_INTERVAL_MILLIS = 1000;

    public static final int DEFAULT_VERIFIERS_PER_INSTRUCTION = 8;
    public static final int DEFAULT_MAX_CONCURRENT_INSTRUCTIONS = 20;
    public static final int DEFAULT_EVALUATION_TIMEOUT_SECONDS = 5;
    /**
     * Children start abandoned and report by signal, so the window is not bound by Temporal's 2,000 pending children
     * per run: a run continues as new once it started {@link CampaignWorkflowImpl#PENDING_CHILDREN_PER_RUN} that still
     * run, and the next run starts more.
     */
    public static final int MAX_CONCURRENT_INSTRUCTIONS = 5_000;

    public static final int DEFAULT_QUERIES_PER_INSTRUCTION = 16;
    public static final int DEFAULT_MAX_QUERY_USES = 4;
    public static final int DEFAULT_QUERY_MIN_CHARS = 20;
    public static final int DEFAULT_QUERY_MAX_CHARS = 300;
    public static final int DEFAULT_RESPONSES_PER_QUERY = 8;
    public static final int DEFAULT_JUDGE_SAMPLES = 1;

    /** True when the campaign goes on to Stage 2 (S6 to S9, D1). */
    public boolean hasQueries() {
        return responseStage != null;
    }

    public static CampaignConfig from(CampaignInput in) {
        if (in == null) {
            throw new IllegalArgumentException("campaign input is empty: expected a JSON object with 'seedInstructions' or 'seedFile'");
        }
        boolean inline = in.seedInstructions() != null;
        boolean file = in.seedFile() != null && !in.seedFile().isBlank();
        if (inline == file) {
            throw new IllegalArgumentException("give exactly one of 'seedInstructions' (a list of strings) or 'seedFile' (a path)");
        }
        if (inline) {
            if (in.seedInstructions().isEmpty()) {
                throw new IllegalArgumentException("'seedInstructions' is empty");
            }
            for (int i = 0; i < in.seedInstructions().size(); i++) {
                String s = in.seedInstructions().get(i);
                if (s == null || s.isBlank()) {
                    throw new IllegalArgumentException("'seedInstructions[" + i + "]' is null or blank");
                }
            }
        }
        int k = positive("verifiersPerInstruction", in.verifiersPerInstruction(), DEFAULT_VERIFIERS_PER_INSTRUCTION, 64);
        int window = positive("maxConcurrentInstructions", in.maxConcurrentInstructions(),
                DEFAULT_MAX_CONCURRENT_INSTRUCTIONS, MAX_CONCURRENT_INSTRUCTIONS);
        int timeout = positive("evaluationTimeoutSeconds", in.evaluationTimeoutSeconds(), DEFAULT_EVALUATION_TIMEOUT_SECONDS, 300);
        Preset preset;
        try {
            preset = in.preset() == null ? Preset.REFERENCE : Preset.fromWireName(in.preset());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'preset': " + e.getMessage());
        }
        LlmSettings llm = role(LlmRole.SUPERVISION.wireName(), in.supervision());
        LlmSettings judge = role(LlmRole.JUDGE.wireName(), in.judge());
        LlmSettings policy = role(LlmRole.POLICY.wireName(), in.policy());
        Map<String, ModelPrice> prices = new TreeMap<>();
        if (in.prices() != null) {
            for (Map.Entry<String, ModelPrice> e : in.prices().entrySet()) {
                ModelPrice p = e.getValue();
                if (e.getKey() == null || e.getKey().isBlank() || p == null) {
                    throw new IllegalArgumentException("'prices' maps a model name to {\"promptPerMillion\": $, "
                            + "\"completionPerMillion\": $}; got an empty entry for '" + e.getKey() + "'");
                }
                if ((p.promptPerMillion() != null && p.promptPerMillion() < 0)
                        || (p.completionPerMillion() != null && p.completionPerMillion() < 0)) {
                    throw new IllegalArgumentException("'prices." + e.getKey() + "' must not be negative");
                }
                prices.put(e.getKey(), p);
            }
        }
        int retryMillis = in.llmRetryInitialIntervalMillis() == null ? DEFAULT_LLM_RETRY_INITIAL_INTERVAL_MILLIS
                : in.llmRetryInitialIntervalMillis();
        if (retryMillis < 10 || retryMillis > 600_000) {
            throw new IllegalArgumentException("'llmRetryInitialIntervalMillis' must be between 10 and 600000, got " + retryMillis);
        }
        int selfInstructCalls = in.selfInstructCalls() == null ? 0 : in.selfInstructCalls();
        if (selfInstructCalls < 0 || selfInstructCalls > 1000) {
            throw new IllegalArgumentException("'selfInstructCalls' must be between 0 (no S1) and 1000, got " + selfInstructCalls);
        }
        double nearDuplicate = in.nearDuplicateThreshold() == null ? DEFAULT_NEAR_DUPLICATE_THRESHOLD : in.nearDuplicateThreshold();
        if (!(nearDuplicate > 0 && nearDuplicate <= 1)) {
            throw new IllegalArgumentException("'nearDuplicateThreshold' must be within (0, 1], got " + nearDuplicate);
        }
        ConsistencyMode consistency = in.consistency() == null ? ConsistencyMode.LLM
                : ConsistencyMode.fromWireName(in.consistency());
        // The NLI judge is the judge role when the campaign names one, else the supervision model.
        LlmSettings consistencyJudge = in.judge() == null ? llm : judge;
        boolean queries = in.queryFile() != null && !in.queryFile().isBlank();
        int minChars = nonNegative("queryMinChars", in.queryMinChars(), DEFAULT_QUERY_MIN_CHARS);
        int maxChars = positive("queryMaxChars", in.queryMaxChars(), DEFAULT_QUERY_MAX_CHARS, 1_000_000);
        if (maxChars <= minChars + 1) {
            throw new IllegalArgumentException("'queryMaxChars' (" + maxChars + ") leaves no length above 'queryMinChars' ("
                    + minChars + ")");
        }
        long seed = in.seed() == null ? 0 : in.seed();
        ResponseStageSettings responseStage = null;
        if (queries) {
            double passRate = fraction("minResponsePassRate", in.minResponsePassRate(), preset.responsePassRateAbove());
            double judgeBar = in.minJudgeScore() == null ? preset.judgeScoreAbove() : in.minJudgeScore();
            if (judgeBar < 0 || judgeBar >= 10) {
                throw new IllegalArgumentException("'minJudgeScore' must be within [0, 10), got " + judgeBar);
            }
            responseStage = new ResponseStageSettings(
                    positive("queriesPerInstruction", in.queriesPerInstruction(), DEFAULT_QUERIES_PER_INSTRUCTION, 1000),
                    positive("maxQueryUses", in.maxQueryUses(), DEFAULT_MAX_QUERY_USES, 1_000_000), seed,
                    positive("responsesPerQuery", in.responsesPerQuery(), DEFAULT_RESPONSES_PER_QUERY, 64),
                    passRate, positive("judgeSamples", in.judgeSamples(), DEFAULT_JUDGE_SAMPLES, 16), judgeBar,
                    consistencyJudge, Boolean.TRUE.equals(in.instructionLevelPairs()));
        } else {
            for (var stage2 : new Object[][] {{"queriesPerInstruction", in.queriesPerInstruction()},
                    {"responsesPerQuery", in.responsesPerQuery()}, {"targetSftRows", in.targetSftRows()},
                    {"targetDpoPairs", in.targetDpoPairs()}, {"approveBeforeStage2", Boolean.TRUE.equals(in.approveBeforeStage2()) ? true : null}}) {
                if (stage2[1] != null) {
                    throw new IllegalArgumentException("'" + stage2[0] + "' needs 'queryFile': Stage 2 samples responses "
                            + "to real user queries");
                }
            }
        }
        Integer targetSft = in.targetSftRows() == null ? null : positive("targetSftRows", in.targetSftRows(), 0, Integer.MAX_VALUE);
        Integer targetDpo = in.targetDpoPairs() == null ? null : positive("targetDpoPairs", in.targetDpoPairs(), 0, Integer.MAX_VALUE);
        if (in.budgetTokens() != null && in.budgetTokens() <= 0) {
            throw new IllegalArgumentException("'budgetTokens' must be positive, got " + in.budgetTokens());
        }
        if (in.budgetUsd() != null && !(in.budgetUsd() > 0)) {
            throw new IllegalArgumentException("'budgetUsd' must be positive, got " + in.budgetUsd());
        }
        if (in.budgetUsd() != null && prices.isEmpty()) {
            throw new IllegalArgumentException("'budgetUsd' needs 'prices' for the models used: without them no call has a cost");
        }
        return new CampaignConfig(in.seedInstructions(), file ? in.seedFile() : null, llm, k, preset,
                in.outputDir(), window, timeout, judge, policy, Boolean.TRUE.equals(in.keepTruncated()), prices, retryMillis,
                selfInstructCalls, nearDuplicate, consistency, consistencyJudge, queries ? in.queryFile() : null,
                minChars, maxChars, responseStage, targetSft, targetDpo, in.budgetTokens(), in.budgetUsd(), seed,
                Boolean.TRUE.equals(in.approveBeforeStage2()));
    }

    private static int nonNegative(String field, Integer value, int dflt) {
        if (value == null) {
            return dflt;
        }
        if (value < 0) {
            throw new IllegalArgumentException("'" + field + "' must not be negative, got " + value);
        }
        return value;
    }

    private static double fraction(String field, Double value, double dflt) {
        if (value == null) {
            return dflt;
        }
        if (value < 0 || value >= 1) {
            throw new IllegalArgumentException("'" + field + "' must be within [0, 1), got " + value);
        }
        return value;
    }

    /** One model role's settings, checked; absent means "all from the worker's defaults". Also used by online DPO. */
    public static LlmSettings role(String name, LlmSettings given) {
        LlmSettings llm = given == null ? LlmSettings.defaults() : given;
        if (llm.baseUrl() != null && !(llm.baseUrl().startsWith("http://") || llm.baseUrl().startsWith("https://"))) {
            throw new IllegalArgumentException("'" + name + ".baseUrl' must be an http(s) URL, got " + llm.baseUrl());
        }
        if (llm.apiKeyEnv() != null && !llm.apiKeyEnv().matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("'" + name + ".apiKeyEnv' must be the NAME of an environment variable "
                    + "(never the key itself), got something else");
        }
        if (llm.temperature() != null && (llm.temperature() < 0 || llm.temperature() > 2)) {
            throw new IllegalArgumentException("'" + name + ".temperature' must be within [0, 2], got " + llm.temperature());
        }
        if (llm.topP() != null && (llm.topP() <= 0 || llm.topP() > 1)) {
            throw new IllegalArgumentException("'" + name + ".topP' must be within (0, 1], got " + llm.topP());
        }
        if (llm.maxTokens() != null && llm.maxTokens() <= 0) {
            throw new IllegalArgumentException("'" + name + ".maxTokens' must be positive, got " + llm.maxTokens());
        }
        if (llm.structuredOutput() != null && !List.of(LlmSettings.STRUCTURED_OFF, LlmSettings.STRUCTURED_JSON_SCHEMA,
                LlmSettings.STRUCTURED_AUTO).contains(llm.structuredOutput())) {
            throw new IllegalArgumentException("'" + name + ".structuredOutput' must be off, json_schema or auto, got '"
                    + llm.structuredOutput() + "'");
        }
        return llm;
    }

    private static int positive(String field, Integer value, int dflt, int max) {
        if (value == null) {
            return dflt;
        }
        if (value < 1 || value > max) {
            throw new IllegalArgumentException("'" + field + "' must be between 1 and " + max + ", got " + value);
        }
        return value;
    }
}
