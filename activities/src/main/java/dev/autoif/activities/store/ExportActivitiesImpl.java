package dev.autoif.activities.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.CampaignKeys;
import dev.autoif.activities.artifacts.ArtifactStore.ArtifactOutput;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.dataset.DatasetCard;
import dev.autoif.activities.dataset.DatasetWriter;
import dev.autoif.activities.report.CampaignReport;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.store.BackTranslationRecord;
import dev.autoif.workflows.campaign.ExportActivities;
import dev.autoif.workflows.campaign.ExportRequest;
import dev.autoif.workflows.campaign.ExportedFiles;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.store.PromptRecord;
import dev.autoif.workflows.activities.store.ResponseRecord;
import dev.autoif.workflows.activities.store.ResponseStageRecord;
import dev.autoif.workflows.campaign.CampaignConfig;
import dev.autoif.workflows.campaign.Funnel;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.SftExample;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The campaign export, streamed: the instructions are read one at a time from instructions.jsonl (their keys are
 * deterministic: nothing is listed), each instruction's records are read, turned into rows of the lineage files
 * (verifiers, dropped, back-translations, responses, prompts) and of the datasets (written as parts, see
 * {@link DatasetWriter}), and dropped before the next instruction is read. The target cut keeps the first N SFT rows
 * (DPO pairs) in instruction order, so it needs a counter, not the rows. A record the campaign says exists and the
 * store does not hold fails the export, naming its key.
 *
 * <p>Memory: one instruction's records (its {@link InstructionRecord}, {@link ResponseStageRecord} and one
 * {@link PromptRecord} at a time) plus a fixed buffer per output; independent of the campaign's size. (A backend
 * that buffers a whole object before uploading it adds that object: a dataset part is at most
 * {@link DatasetWriter.PartLimits#maxBytes()}.)
 *
 * <p>Heartbeats carry the index of the instruction being exported and how many parts of each dataset are committed.
 * A retry reads the campaign again from the start (the lineage files are one object each, written all-or-nothing, so
 * it replaces what a failed attempt left, never appends to it), but does not write again the dataset parts its last
 * heartbeat reports committed: the same records cut at the same limits give the same parts, byte for byte.
 */
public class ExportActivitiesImpl implements ExportActivities {
    static final String DATASET_CARD = "DATASET_CARD.md";

    private final ArtifactStores stores;
    private final DatasetWriter datasets;
    private final ObjectMapper json = WireFormat.internalObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    public ExportActivitiesImpl(ArtifactStores stores) {
        this(stores, new DatasetWriter());
    }

    public ExportActivitiesImpl(ArtifactStores stores, DatasetWriter datasets) {
        this.stores = stores;
        this.datasets = datasets;
    }

    @Override
    public ExportedFiles export(ExportRequest request) {
        ArtifactStore store = stores.open(request.outputDir());
        try {
            return new Export(store, request).run();
        } catch (IOException e) {
            throw ApplicationFailure.newFailure("export of " + store.location() + " failed: " + e.getMessage(),
                    FailureTypes.STORAGE);
        }
    }

    /**
     * What a heartbeat reports: the instruction whose records are being read, and the dataset parts committed so far
     * (by dataset name) at these part limits, which a retry skips.
     */
    public record ExportProgress(int instruction, int instructions, DatasetWriter.PartLimits partLimits,
                                 Map<String, Integer> committedParts) {}

    /** One export: its outputs stay open while the instructions stream through. */
    private final class Export {
        final ArtifactStore store;
        final ExportRequest request;
        final CampaignConfig config;
        final int instructions;
        final int withResponses;
        long sampled;
        long passedVerifiers;
        long judged;
        long sftRows;
        long dpoPairs;

        Export(ArtifactStore store, ExportRequest request) {
            this.store = store;
            this.request = request;
            this.config = request.config();
            this.instructions = request.instructionsToExport();
            this.withResponses = config.hasQueries() ? request.responsesToExport() : 0;
        }

        /** What the previous attempt's last heartbeat reports committed, if it cut the parts as this one does. */
        Map<String, Integer> committedBefore() {
            return Activity.getExecutionContext().getHeartbeatDetails(ExportProgress.class)
                    .filter(p -> datasets.limits().equals(p.partLimits()) && p.committedParts() != null)
                    .map(ExportProgress::committedParts)
                    .orElse(Map.of());
        }

        void heartbeat(int index, Map<String, Integer> committedParts) {
            Activity.getExecutionContext().heartbeat(new ExportProgress(index, instructions, datasets.limits(), committedParts));
        }

        ExportedFiles run() throws IOException {
            Rows verifiers = new Rows(store, CampaignKeys.VERIFIERS);
            Rows dropped = new Rows(store, CampaignKeys.DROPPED);
            Rows backTranslations = new Rows(store, CampaignKeys.BACK_TRANSLATIONS);
            Rows responses = config.hasQueries() ? new Rows(store, CampaignKeys.RESPONSES) : null;
            Rows prompts = config.hasQueries() ? new Rows(store, CampaignKeys.PROMPTS) : null;
            List<DatasetWriter.DatasetFile> files = List.of();
            Map<String, Integer> committedParts = Map.of();
            try (verifiers; dropped; backTranslations; responses; prompts;
                 DatasetWriter.Sink sink = config.hasQueries() ? datasets.open(store, committedBefore()) : null;
                 BufferedReader list = new BufferedReader(new InputStreamReader(
                         store.open(CampaignKeys.INSTRUCTIONS), StandardCharsets.UTF_8))) {
                for (int index = 0; index < instructions; index++) {
                    heartbeat(index, sink == null ? Map.of() : sink.committedParts());
                    String line = list.readLine();
                    if (line == null) {
                        throw missing(CampaignKeys.INSTRUCTIONS + " line " + (index + 1), index);
                    }
                    String id = json.readTree(line).path("id").asText();
                    InstructionRecord r = read(CampaignKeys.item(index, id), InstructionRecord.class, index);
                    if (r.dropReason() == null) {
                        verifiers.add(verifierRow(r));
                    } else {
                        ObjectNode row = json.createObjectNode();
                        row.put("instruction", r.instruction());
                        row.put("instruction_id", r.instructionId());
                        row.put("reason", r.dropReason().name());
                        row.put("detail", r.detail());
                        dropped.add(row);
                    }
                    for (BackTranslationRecord b : r.backTranslations() == null ? List.<BackTranslationRecord>of() : r.backTranslations()) {
                        backTranslations.add(backTranslationRow(r, b));
                    }
                    if (r.dropReason() == null && index < withResponses) {
                        exportResponses(index, id, responses, prompts, sink);
                    }
                }
                verifiers.commit();
                dropped.commit();
                if (backTranslations.rows > 0) {
                    backTranslations.commit();
                }
                if (config.hasQueries()) {
                    responses.commit();
                    prompts.commit();
                    files = sink.finish();
                    committedParts = sink.committedParts();
                }
            }
            ObjectNode summary = json.createObjectNode();
            summary.put("campaign", request.campaignId());
            summary.put("preset", config.preset().wireName());
            summary.set("funnel", json.valueToTree(request.funnel()));
            store.writeString(CampaignKeys.FUNNEL, summary.toPrettyString());

            List<String> written = new ArrayList<>();
            for (String key : List.of(CampaignKeys.INSTRUCTIONS, CampaignKeys.MERGED,
                    CampaignKeys.VERIFIERS, CampaignKeys.DROPPED,
                    CampaignKeys.BACK_TRANSLATIONS, CampaignKeys.QUERY_IMPORT,
                    CampaignKeys.FUNNEL)) {
                if (store.exists(key)) {
                    written.add(store.location(key));
                }
            }
            if (config.hasQueries()) {
                store.writeString(DATASET_CARD, card(files).render());
                written.add(store.location(CampaignKeys.RESPONSES));
                written.add(store.location(CampaignKeys.PROMPTS));
                files.forEach(f -> f.parts().forEach(part -> written.add(store.location(part))));
                written.add(store.location(DatasetWriter.PARTS));
                written.add(store.location(DatasetWriter.DATASET_INFO));
                written.add(store.location(DATASET_CARD));
            }
            // Last: the page charts the artifacts written above, reading each instruction's records again.
            Map<String, Integer> allParts = committedParts;
            written.add(CampaignReport.write(store, index -> heartbeat(index, allParts)));
            return new ExportedFiles(written);
        }

        /** Stage 2 of one kept instruction: its prompts, in order, each read and written before the next. */
        private void exportResponses(int index, String id, Rows responses, Rows prompts, DatasetWriter.Sink sink)
                throws IOException {
            ResponseStageRecord r = read(CampaignKeys.responses(index, id), ResponseStageRecord.class, index);
            for (int q = 0; q < r.prompts(); q++) {
                PromptRecord p = read(CampaignKeys.prompt(index, id, q), PromptRecord.class, index);
                boolean sftPrompt = false;
                for (ResponseRecord response : p.responses()) {
                    responses.add(responseRow(r, p, response));
                    sampled++;
                    if (response.judge() != null) {
                        passedVerifiers++; // only responses that passed S7 are sent to the judge
                        if (!response.judge().analyses().isEmpty()) judged++;
                    }
                    if (response.kept()) {
                        sftPrompt = true;
                        if (config.targetSftRows() == null || sftRows < config.targetSftRows()) {
                            sink.sft(new SftExample(r.instructionId(), r.instruction(), p.query(), p.prompt(),
                                    response.text(), response.passRate(), response.judge().scores()));
                            sftRows++;
                        }
                    }
                }
                if (sftPrompt) {
                    prompts.add(promptRow(r, p));
                }
                pairs(p.pairs(), sink);
            }
            pairs(r.instructionLevelPairs(), sink);
        }

        private void pairs(List<PreferencePair> pairs, DatasetWriter.Sink sink) {
            for (PreferencePair pair : pairs) {
                if (config.targetDpoPairs() == null || dpoPairs < config.targetDpoPairs()) {
                    sink.pair(pair);
                    dpoPairs++;
                }
            }
        }

        private <T> T read(String key, Class<T> type, int index) throws IOException {
            Optional<byte[]> content = store.find(key);
            if (content.isEmpty()) {
                throw missing(key, index);
            }
            return json.readValue(content.get(), type);
        }

        private ApplicationFailure missing(String what, int index) {
            return ApplicationFailure.newNonRetryableFailure("export of " + store.location() + ": the record of instruction "
                    + index + " is missing: " + store.location(what) + " (the campaign finished " + instructions
                    + " instructions, so it must exist)", FailureTypes.STORAGE);
        }

        private DatasetCard card(List<DatasetWriter.DatasetFile> files) {
            Funnel f = request.funnel();
            Map<String, Long> droppedByReason = new LinkedHashMap<>();
            f.droppedByReason().forEach((k, v) -> droppedByReason.put(k, v.longValue()));
            DatasetCard.Funnel counts = new DatasetCard.Funnel((long) f.instructions(), (long) f.kept(), droppedByReason,
                    sampled, passedVerifiers, judged, sftRows, dpoPairs, f.stopReason());
            Map<String, String> models = new LinkedHashMap<>();
            f.llmUsage().forEach(u -> models.merge(u.role().wireName(), u.model(), (a, b) -> a.equals(b) ? a : a + ", " + b));
            String configJson;
            try {
                configJson = json.writerWithDefaultPrettyPrinter().writeValueAsString(config);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new DatasetCard(request.campaignId(), config.preset().wireName(), counts, configJson, models,
                    f.llmUsage(), files);
        }
    }

    /** One JSONL output, streamed: rows are visible only once it is committed. */
    private final class Rows implements AutoCloseable {
        final ArtifactOutput out;
        long rows;

        Rows(ArtifactStore store, String key) {
            this.out = store.create(key);
        }

        void add(ObjectNode row) throws IOException {
            // Through a String: its UTF-8 keeps emoji as they are (Jackson's byte output would \\u-escape them).
            out.write((json.writeValueAsString(row) + "\n").getBytes(StandardCharsets.UTF_8));
            rows++;
        }

        void commit() throws IOException {
            out.commit();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** One back-translated function: what S4 said it checks and S5's label for each statement. */
    private ObjectNode backTranslationRow(InstructionRecord r, BackTranslationRecord b) {
        ObjectNode row = json.createObjectNode();
        row.put("instruction", r.instruction());
        row.put("instruction_id", r.instructionId());
        row.put("function", b.func());
        row.put("accuracy", b.accuracy());
        ArrayNode stated = row.putArray("back_translated_instructions");
        b.instructions().forEach(stated::add);
        ArrayNode labels = row.putArray("nli_labels");
        b.judgements().forEach(j -> labels.add(j.label().name()));
        if (b.judgements().stream().anyMatch(j -> j.note() != null)) {
            // The ONNX judge's probabilities, or why an LLM judge's label is a fallback.
            ArrayNode notes = row.putArray("nli_notes");
            b.judgements().forEach(j -> notes.add(j.note()));
        }
        if (b.parseError() != null) {
            row.put("parse_error", b.parseError());
        }
        row.put("reason", r.dropReason() == null ? null : r.dropReason().name());
        return row;
    }

    /** The reference cross_validation.jsonl row plus the instruction's ID and the preset. */
    private ObjectNode verifierRow(InstructionRecord r) {
        ObjectNode row = CampaignStoreActivitiesImpl.referenceRow(json, r.instruction(), r.verifiers(), r.cases());
        row.put("instruction_id", r.instructionId());
        row.put("preset", r.preset());
        return row;
    }

    private ObjectNode responseRow(ResponseStageRecord r, PromptRecord p, ResponseRecord response) {
        ObjectNode row = json.createObjectNode();
        row.put("instruction_id", r.instructionId());
        row.put("instruction", r.instruction());
        row.put("query", p.query());
        row.put("prompt", p.prompt());
        row.put("response", response.text());
        row.put("finish_reason", response.finishReason());
        row.put("pass_rate", response.passRate());
        row.set("verdicts", json.valueToTree(response.verdicts()));
        if (response.judge() != null) {
            row.set("judge_scores", json.valueToTree(response.judge().scores()));
            row.set("judge_analyses", json.valueToTree(response.judge().analyses()));
            if (!response.judge().parseErrors().isEmpty()) {
                row.set("judge_errors", json.valueToTree(response.judge().parseErrors()));
            }
        }
        row.put("kept", response.kept());
        row.put("reason", response.kept() ? null : response.dropReason().name());
        return row;
    }

    private ObjectNode promptRow(ResponseStageRecord r, PromptRecord p) {
        ObjectNode row = json.createObjectNode();
        row.put("instructionId", r.instructionId());
        row.put("instruction", r.instruction());
        row.put("query", p.query());
        row.put("prompt", p.prompt());
        ArrayNode functions = row.putArray("functions");
        r.functions().forEach(functions::add);
        return row;
    }
}
