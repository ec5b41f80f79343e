package dev.autoif.activities.artifacts;

/**
 * The keys of a campaign's files in its store: the only definitions, shared by the store activities and the export
 * that write them and the report that reads them (keys are computed, never listed).
 */
public final class CampaignKeys {
    public static final String INSTRUCTIONS = "instructions.jsonl";
    /** S1: which instruction was merged into which, and how similar they were. */
    public static final String MERGED = "merged.jsonl";
    public static final String VERIFIERS = "verifiers.jsonl";
    public static final String DROPPED = "dropped.jsonl";
    public static final String FUNNEL = "funnel.json";
    public static final String BACK_TRANSLATIONS = "back_translations.jsonl";
    public static final String QUERY_IMPORT = "query_import.json";
    public static final String RESPONSES = "responses.jsonl";
    public static final String PROMPTS = "prompts.jsonl";
    private static final String ITEMS = "items";

    private CampaignKeys() {
    }

    /** An instruction's record. */
    public static String item(int index, String instructionId) {
        return String.format("%s/%06d-%s.json", ITEMS, index, instructionId);
    }

    /** S2's completions of an instruction, stored whole by the activity that bought them (beside its prompts). */
    public static String verifierSamples(int index, String instructionId) {
        return String.format("%s/%06d-%s/samples.json", ITEMS, index, instructionId);
    }

    /** S6's responses to one Stage 2 prompt, stored whole by the activity that bought them (beside the prompt). */
    public static String promptResponses(int instructionIndex, String instructionId, int promptIndex) {
        return String.format("%s/%06d-%s/sampled-%03d.json", ITEMS, instructionIndex, instructionId, promptIndex);
    }

    /** One Stage 2 prompt of an instruction, with its responses. */
    public static String prompt(int instructionIndex, String instructionId, int promptIndex) {
        return String.format("%s/%06d-%s/prompt-%03d.json", ITEMS, instructionIndex, instructionId, promptIndex);
    }

    /** Stage 2's summary of an instruction, written after all its prompts. */
    public static String responses(int index, String instructionId) {
        return String.format("%s/%06d-%s.responses.json", ITEMS, index, instructionId);
    }
}
