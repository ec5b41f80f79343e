package dev.autoif.workflows.dpo;

import dev.autoif.workflows.campaign.CampaignConfig;
import dev.autoif.workflows.activities.llm.LlmSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@link OnlineDpoInput} checked, with defaults filled in. Pure: the workflow calls it. Messages name the field.
 *
 * @param policies each round's policy with temperature and sampling seed resolved
 */
public record OnlineDpoConfig(String campaignDir, String outputDir, List<LlmSettings> policies, int samplesPerPrompt,
                              int maxConcurrentPrompts, int evaluationTimeoutSeconds, int promptsPerPage,
                              int llmRetryInitialIntervalMillis, long seed, TrainingCommand training) {
    public static final int DEFAULT_SAMPLES_PER_PROMPT = 8;
    public static final double DEFAULT_TEMPERATURE = 0.8;
    public static final int DEFAULT_MAX_CONCURRENT_PROMPTS = 8;
    public static final int DEFAULT_PROMPTS_PER_PAGE = 20;
    public static final int DEFAULT_TRAINING_TIMEOUT_MINUTES = 720;
    /** Round N samples with seed + N * this when its policy sets no seed: far apart for K <= 128 samples. */
    public static final long ROUND_SEED_STRIDE = 1_000_003L;

    public static OnlineDpoConfig from(OnlineDpoInput in) {
        if (in == null) {
            throw new IllegalArgumentException("input is empty: expected a JSON object with 'campaignDir', 'rounds' and 'training'");
        }
        if (in.campaignDir() == null || in.campaignDir().isBlank()) {
            throw new IllegalArgumentException("'campaignDir' is missing: the output directory of a finished campaign "
                    + "(it holds prompts.jsonl)");
        }
        if (in.rounds() == null || in.rounds().isEmpty()) {
            throw new IllegalArgumentException("'rounds' is missing or empty: give one {\"policy\": {...}} per iteration");
        }
        if (in.rounds().size() > 100) {
            throw new IllegalArgumentException("'rounds' has " + in.rounds().size() + " entries; at most 100");
        }
        int k = range("samplesPerPrompt", in.samplesPerPrompt(), DEFAULT_SAMPLES_PER_PROMPT, 2, 128);
        double temperature = in.temperature() == null ? DEFAULT_TEMPERATURE : in.temperature();
        if (temperature < 0 || temperature > 2) {
            throw new IllegalArgumentException("'temperature' must be within [0, 2], got " + temperature);
        }
        long seed = in.seed() == null ? 0 : in.seed();
        List<LlmSettings> policies = new ArrayList<>();
        for (int i = 0; i < in.rounds().size(); i++) {
            DpoRoundSpec spec = in.rounds().get(i);
            String field = "rounds[" + i + "].policy";
            if (spec == null || spec.policy() == null) {
                throw new IllegalArgumentException("'" + field + "' is missing: each round names the endpoint serving its "
                        + "policy, e.g. {\"policy\": {\"baseUrl\": \"http://gpu:8000/v1\", \"model\": \"policy-r1\"}}");
            }
            LlmSettings p = CampaignConfig.role(field, spec.policy());
            int round = i + 1;
            LlmSettings resolved = new LlmSettings(p.baseUrl(), p.model(), p.apiKeyEnv(),
                    p.temperature() != null ? p.temperature() : temperature, p.topP(), p.maxTokens(),
                    p.seed() != null ? p.seed() : seed + round * ROUND_SEED_STRIDE, p.structuredOutput());
            for (int j = 0; j < policies.size(); j++) {
                LlmSettings q = policies.get(j);
                if (Objects.equals(q.baseUrl(), resolved.baseUrl()) && Objects.equals(q.model(), resolved.model())
                        && Objects.equals(q.seed(), resolved.seed())) {
                    throw new IllegalArgumentException("'" + field + "' has the same baseUrl, model and seed as 'rounds["
                            + j + "].policy': the LLM completion cache would answer it with round " + (j + 1)
                            + "'s responses; give the round its own model name, baseUrl or seed");
                }
            }
            policies.add(resolved);
        }
        TrainingCommand t = in.training();
        if (t == null || t.command() == null || t.command().isEmpty()) {
            throw new IllegalArgumentException("'training.command' is missing: the argv of your DPO training step, e.g. "
                    + "[\"bash\", \"train.sh\"]; it reads AUTOIF_DPO_PAIRS and writes AUTOIF_DPO_OUTPUT_DIR");
        }
        for (int i = 0; i < t.command().size(); i++) {
            if (t.command().get(i) == null || (i == 0 && t.command().get(i).isBlank())) {
                throw new IllegalArgumentException("'training.command[" + i + "]' is " + (i == 0 ? "null or blank" : "null"));
            }
        }
        int timeout = range("training.timeoutMinutes", t.timeoutMinutes(), DEFAULT_TRAINING_TIMEOUT_MINUTES, 1, 7 * 24 * 60);
        if (t.env() != null) {
            for (Map.Entry<String, String> e : t.env().entrySet()) {
                if (e.getKey() == null || !e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*") || e.getValue() == null) {
                    throw new IllegalArgumentException("'training.env' must map variable names to strings; bad entry '"
                            + e.getKey() + "'");
                }
            }
        }
        if (t.workingDir() != null && t.workingDir().isBlank()) {
            throw new IllegalArgumentException("'training.workingDir' is blank");
        }
        TrainingCommand training = new TrainingCommand(List.copyOf(t.command()), timeout,
                t.env() == null ? Map.of() : Map.copyOf(t.env()), t.workingDir());
        String campaignDir = stripSlash(in.campaignDir());
        String outputDir = in.outputDir() == null || in.outputDir().isBlank()
                ? campaignDir + "/online-dpo" : stripSlash(in.outputDir());
        return new OnlineDpoConfig(campaignDir, outputDir, List.copyOf(policies), k,
                range("maxConcurrentPrompts", in.maxConcurrentPrompts(), DEFAULT_MAX_CONCURRENT_PROMPTS, 1, 200),
                range("evaluationTimeoutSeconds", in.evaluationTimeoutSeconds(),
                        CampaignConfig.DEFAULT_EVALUATION_TIMEOUT_SECONDS, 1, 300),
                range("promptsPerPage", in.promptsPerPage(), DEFAULT_PROMPTS_PER_PAGE, 1, 500),
                range("llmRetryInitialIntervalMillis", in.llmRetryInitialIntervalMillis(), 1000, 10, 600_000),
                seed, training);
    }

    /** The directory of round {@code round} (1-based). */
    public String roundDir(int round) {
        return outputDir + "/round-" + round;
    }

    private static String stripSlash(String dir) {
        String d = dir.strip();
        return d.length() > 1 && d.endsWith("/") ? d.substring(0, d.length() - 1) : d;
    }

    private static int range(String field, Integer value, int dflt, int min, int max) {
        int v = value == null ? dflt : value;
        if (v < min || v > max) {
            throw new IllegalArgumentException("'" + field + "' must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }
}
