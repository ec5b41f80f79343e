package dev.autoif.worker.export;

import dev.autoif.activities.artifacts.CampaignKeys;

import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.ResponseDropReason;
import dev.autoif.workflows.activities.llm.NliLabel;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.store.CampaignStoreActivitiesImpl;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.store.BackTranslationRecord;
import dev.autoif.workflows.activities.store.CaseRecord;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.llm.JudgeVerdict;
import dev.autoif.workflows.activities.llm.NliJudgement;
import dev.autoif.workflows.activities.store.PromptRecord;
import dev.autoif.workflows.activities.store.ResponseRecord;
import dev.autoif.workflows.activities.store.ResponseStageRecord;
import dev.autoif.workflows.activities.store.VerifierRecord;
import dev.autoif.workflows.dataset.PreferencePair;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A Stage 2 campaign's records, written straight through an {@link ArtifactStore} in the layout the store activities
 * use (instructions.jsonl, items/NNNNNN-ID.json, items/NNNNNN-ID.responses.json, items/NNNNNN-ID/prompt-QQQ.json), so
 * an export can be tested at any size without an LLM. Deterministic in its arguments. Every fourth instruction is
 * dropped; of each prompt's responses, the even ones are kept; a prompt with a kept and a dropped response has one
 * pair; even instructions have one instruction-level pair; every third has a back-translation.
 */
public record SyntheticCampaign(int instructions, int promptsPerInstruction, int responsesPerPrompt, int responseChars,
                                long seed) {
    private static final ObjectMapper JSON = WireFormat.internalObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
    private static final String[] WORDS = {"alpha", "beta", "gamma", "delta", "the", "answer", "is", "café", "🐱",
            "\"quoted\"", "line\nbreak", "tab\there", "naïve", "数据", "x"};

    public static String instructionText(int index) {
        return "Instruction " + index + ": answer in exactly " + (index % 5 + 1) + " sentences.";
    }

    public static boolean dropped(int index) {
        return index % 4 == 3;
    }

    public void write(ArtifactStore store) {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < instructions; i++) {
            String text = instructionText(i);
            ObjectNode row = JSON.createObjectNode();
            row.put("index", i);
            row.put("id", CampaignStoreActivitiesImpl.instructionId(text));
            row.put("instruction", text);
            list.append(row).append('\n');
        }
        store.writeString(CampaignKeys.INSTRUCTIONS, list.toString());
        Random random = new Random(seed);
        for (int i = 0; i < instructions; i++) {
            writeInstruction(store, i, random);
        }
    }

    private void writeInstruction(ArtifactStore store, int index, Random random) {
        String text = instructionText(index);
        String id = CampaignStoreActivitiesImpl.instructionId(text);
        String stem = String.format("items/%06d-%s", index, id);
        List<String> functions = List.of("def evaluate(response):\n    return len(response) > " + index);
        List<BackTranslationRecord> backTranslations = index % 3 == 0
                ? List.of(new BackTranslationRecord(functions.get(0), 0.9, List.of("Be long."), null,
                        List.of(new NliJudgement("Be long.", NliLabel.NEUTRAL, null))))
                : List.of();
        InstructionRecord record = new InstructionRecord(index, id, text, "reference", List.of(),
                List.of(new VerifierRecord(functions.get(0), 0.75 + index % 3 * 0.1, true, null),
                        new VerifierRecord("def evaluate(r): return False", 0.1, false, null)),
                List.of(new CaseRecord("case " + index, true, 2, true), new CaseRecord("bad", false, 0, false)),
                List.of("case " + index), List.of(), dropped(index) ? DropReason.NO_FUNCTION_REACHES_BAR : null, "synthetic " + index,
                backTranslations);
        put(store, stem + ".json", record);
        if (dropped(index)) {
            return;
        }
        for (int q = 0; q < promptsPerInstruction; q++) {
            String query = "Query " + q + " of instruction " + index + "?";
            String prompt = query + " " + text;
            List<ResponseRecord> responses = new ArrayList<>();
            for (int r = 0; r < responsesPerPrompt; r++) {
                boolean kept = r % 2 == 0;
                responses.add(new ResponseRecord(text(random), "stop", List.of(kept, true), kept ? 1.0 : 0.5,
                        kept ? new JudgeVerdict(List.of(9.0), List.of("fine"), List.of()) : null,
                        kept ? null : ResponseDropReason.BELOW_PASS_RATE));
            }
            List<PreferencePair> pairs = responsesPerPrompt > 1
                    ? List.of(new PreferencePair(id, prompt, responses.get(0).text(), responses.get(1).text(), 1.0, 0.5,
                            PreferencePair.RESPONSE_LEVEL))
                    : List.of();
            put(store, String.format("%s/prompt-%03d.json", stem, q),
                    new PromptRecord(index, id, q, query, prompt, responses, pairs, null));
        }
        List<PreferencePair> instructionLevel = index % 2 == 0
                ? List.of(new PreferencePair(id, text, "case " + index, "bad", 1.0, 0.0, PreferencePair.INSTRUCTION_LEVEL))
                : List.of();
        put(store, stem + ".responses.json",
                new ResponseStageRecord(index, id, text, functions, promptsPerInstruction, instructionLevel));
    }

    private String text(Random random) {
        StringBuilder s = new StringBuilder(responseChars + 16);
        while (s.length() < responseChars) {
            s.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        return s.toString();
    }

    private static void put(ArtifactStore store, String key, Object value) {
        try (ArtifactStore.ArtifactOutput out = store.create(key)) {
            JSON.writeValue(nonClosing(out), value);
            out.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
