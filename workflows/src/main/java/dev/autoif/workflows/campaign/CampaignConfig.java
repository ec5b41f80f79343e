package dev.autoif.workflows.campaign;

import dev.autoif.workflows.crossval.Preset;
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
        String consistency,
        LlmSettings consistencyJudge) {

    /** S4/S5 with an LLM entailment judge; {@link #CONSISTENCY_NONE} skips both. */
    public static final String CONSISTENCY_LLM = "llm";
    public static final String CONSISTENCY_NONE = "none";

    public static final double DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.9;

    public static final int DEFAULT_LLM_RETRY_INITIAL_INTERVAL_MILLIS = 1000;

    public static final int DEFAULT_VERIFIERS_PER_INSTRUCTION = 8;
    public static final int DEFAULT_MAX_CONCURRENT_INSTRUCTIONS = 20;
    public static final int DEFAULT_EVALUATION_TIMEOUT_SECONDS = 5;
    /** Far below Temporal's 2,000 pending children per run. */
    public static final int MAX_CONCURRENT_INSTRUCTIONS = 500;

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
        LlmSettings llm = role("supervision", in.supervision());
        LlmSettings judge = role("judge", in.judge());
        LlmSettings policy = role("policy", in.policy());
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
        String consistency = in.consistency() == null ? CONSISTENCY_LLM : in.consistency();
        if (!consistency.equals(CONSISTENCY_LLM) && !consistency.equals(CONSISTENCY_NONE)) {
            throw new IllegalArgumentException("'consistency' must be \"llm\" or \"none\", got \"" + consistency + "\"");
        }
        // The NLI judge is the judge role when the campaign names one, else the supervision model.
        LlmSettings consistencyJudge = in.judge() == null ? llm : judge;
        return new CampaignConfig(in.seedInstructions(), file ? in.seedFile() : null, llm, k, preset,
                in.outputDir(), window, timeout, judge, policy, Boolean.TRUE.equals(in.keepTruncated()), prices, retryMillis,
                selfInstructCalls, nearDuplicate, consistency, consistencyJudge);
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
