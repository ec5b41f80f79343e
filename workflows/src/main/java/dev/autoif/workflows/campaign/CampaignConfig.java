package dev.autoif.workflows.campaign;

import dev.autoif.workflows.crossval.Preset;
import java.util.List;

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
        int evaluationTimeoutSeconds) {

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
        LlmSettings llm = in.supervision() == null ? LlmSettings.defaults() : in.supervision();
        if (llm.temperature() != null && (llm.temperature() < 0 || llm.temperature() > 2)) {
            throw new IllegalArgumentException("'supervision.temperature' must be within [0, 2], got " + llm.temperature());
        }
        if (llm.maxTokens() != null && llm.maxTokens() <= 0) {
            throw new IllegalArgumentException("'supervision.maxTokens' must be positive, got " + llm.maxTokens());
        }
        return new CampaignConfig(in.seedInstructions(), file ? in.seedFile() : null, llm, k, preset,
                in.outputDir(), window, timeout);
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
