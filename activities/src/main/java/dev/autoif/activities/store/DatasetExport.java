package dev.autoif.activities.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.dataset.DatasetCard;
import dev.autoif.activities.dataset.DatasetWriter;
import dev.autoif.workflows.activities.ExportRequest;
import dev.autoif.workflows.activities.PromptRecord;
import dev.autoif.workflows.activities.ResponseRecord;
import dev.autoif.workflows.activities.ResponseStageRecord;
import dev.autoif.workflows.campaign.CampaignConfig;
import dev.autoif.workflows.campaign.Funnel;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.SftExample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Stage 2's share of the export: the per-instruction response records become, in instruction order, the lineage
 * files (every response with its fate; every SFT prompt with its functions, for online DPO) and the datasets, cut to
 * the campaign's target size when it has one.
 */
final class DatasetExport {
    static final String DATASET_CARD = "DATASET_CARD.md";

    private final ObjectMapper json;
    private final Path dir;

    DatasetExport(ObjectMapper json, Path dir) {
        this.json = json;
        this.dir = dir;
    }

    List<String> export(ExportRequest request) {
        CampaignConfig config = request.config();
        List<SftExample> sft = new ArrayList<>();
        List<PreferencePair> pairs = new ArrayList<>();
        StringBuilder responses = new StringBuilder();
        StringBuilder prompts = new StringBuilder();
        long sampled = 0;
        long passedVerifiers = 0;
        long judged = 0;
        for (ResponseStageRecord r : records()) {
            for (PromptRecord p : prompts(r)) {
                boolean sftPrompt = false;
                for (ResponseRecord response : p.responses()) {
                    responses.append(responseRow(r, p, response)).append('\n');
                    sampled++;
                    if (response.judge() != null) {
                        passedVerifiers++; // only responses that passed S7 are sent to the judge
                        if (!response.judge().analyses().isEmpty()) judged++;
                    }
                    if (response.kept()) {
                        sftPrompt = true;
                        sft.add(new SftExample(r.instructionId(), r.instruction(), p.query(), p.prompt(), response.text(),
                                response.passRate(), response.judge().scores()));
                    }
                }
                if (sftPrompt) {
                    prompts.append(promptRow(r, p)).append('\n');
                }
                pairs.addAll(p.pairs());
            }
            pairs.addAll(r.instructionLevelPairs());
        }
        if (config.targetSftRows() != null && sft.size() > config.targetSftRows()) {
            sft = List.copyOf(sft.subList(0, config.targetSftRows()));
        }
        if (config.targetDpoPairs() != null && pairs.size() > config.targetDpoPairs()) {
            pairs = List.copyOf(pairs.subList(0, config.targetDpoPairs()));
        }
        AtomicFiles.write(dir.resolve(CampaignStoreActivitiesImpl.RESPONSES), responses.toString());
        AtomicFiles.write(dir.resolve(CampaignStoreActivitiesImpl.PROMPTS), prompts.toString());
        List<DatasetWriter.DatasetFile> files = new DatasetWriter().write(dir, sft, pairs);
        DatasetCard.Funnel counts = new DatasetCard.Funnel((long) request.funnel().instructions(),
                (long) request.funnel().kept(), droppedByReason(request.funnel()), sampled, passedVerifiers, judged,
                (long) sft.size(), (long) pairs.size(), request.funnel().stopReason());
        AtomicFiles.write(dir.resolve(DATASET_CARD), card(request, files, counts).render());

        List<String> written = new ArrayList<>();
        Stream.of(CampaignStoreActivitiesImpl.RESPONSES, CampaignStoreActivitiesImpl.PROMPTS).forEach(f -> written.add(abs(f)));
        files.forEach(f -> written.add(abs(f.fileName())));
        written.add(abs(DatasetWriter.DATASET_INFO));
        written.add(abs(DATASET_CARD));
        return written;
    }

    private String abs(String file) {
        return dir.resolve(file).toAbsolutePath().toString();
    }

    private List<ResponseStageRecord> records() {
        List<Path> items;
        try (Stream<Path> files = Files.list(dir.resolve("items"))) {
            items = files.filter(p -> p.toString().endsWith(".responses.json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<ResponseStageRecord> records = new ArrayList<>();
        for (Path item : items) {
            try {
                records.add(json.readValue(item.toFile(), ResponseStageRecord.class));
            } catch (IOException e) {
                throw new UncheckedIOException("unreadable record " + item, e);
            }
        }
        return records;
    }

    private List<PromptRecord> prompts(ResponseStageRecord r) {
        List<PromptRecord> prompts = new ArrayList<>();
        for (int q = 0; q < r.prompts(); q++) {
            Path file = CampaignStoreActivitiesImpl.promptFile(dir, r.index(), r.instructionId(), q);
            try {
                prompts.add(json.readValue(file.toFile(), PromptRecord.class));
            } catch (IOException e) {
                throw new UncheckedIOException("unreadable record " + file, e);
            }
        }
        return prompts;
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

    private static Map<String, Long> droppedByReason(Funnel f) {
        Map<String, Long> dropped = new LinkedHashMap<>();
        f.droppedByReason().forEach((k, v) -> dropped.put(k, v.longValue()));
        return dropped;
    }

    private DatasetCard card(ExportRequest request, List<DatasetWriter.DatasetFile> files, DatasetCard.Funnel counts) {
        Funnel f = request.funnel();
        Map<String, String> models = new LinkedHashMap<>();
        f.llmUsage().forEach(u -> models.merge(u.role(), u.model(), (a, b) -> a.equals(b) ? a : a + ", " + b));
        String configJson;
        try {
            configJson = json.writerWithDefaultPrettyPrinter().writeValueAsString(request.config());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new DatasetCard(request.campaignId(), request.config().preset().wireName(), counts, configJson, models,
                f.llmUsage(), files);
    }
}
