package dev.autoif.activities.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.CampaignStoreActivities;
import dev.autoif.workflows.activities.CaseRecord;
import dev.autoif.activities.queries.QueryImporter;
import dev.autoif.activities.queries.QuerySampler;
import dev.autoif.workflows.activities.QueryDraw;
import dev.autoif.workflows.activities.PromptRecord;
import dev.autoif.workflows.activities.QueryPool;
import dev.autoif.workflows.activities.ResponseStageRecord;
import dev.autoif.workflows.activities.InstructionRecord;
import dev.autoif.workflows.activities.InstructionRef;
import dev.autoif.workflows.activities.PreparedCampaign;
import dev.autoif.workflows.activities.SeedSource;
import dev.autoif.workflows.activities.VerifierRecord;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.Stream;

/**
 * The campaign directory:
 * <pre>
 *   instructions.jsonl       the de-duplicated instruction list, in order (seeds, then S1's new ones)
 *   merged.jsonl             S1 only: each instruction merged into an earlier (near-)duplicate
 *   items/NNNNNN-ID.json     one full record per instruction (lineage, pass matrix, verdict)
 *   verifiers.jsonl          kept instructions, reference cross_validation.jsonl fields
 *   dropped.jsonl            dropped instructions with reason and detail
 *   back_translations.jsonl  S4/S5: one row per back-translated function with its NLI labels (and notes: the
 *                            ONNX judge's probabilities, why an LLM judge's label is a fallback)
 *   funnel.json              counts, preset
 *   queries.jsonl            Stage 2: the imported query pool (query_import.json says what was skipped and why)
 *   items/NNNNNN-ID.responses.json  Stage 2: one summary per kept instruction (functions, instruction-level pairs)
 *   items/NNNNNN-ID/prompt-QQQ.json Stage 2: one record per prompt (responses, verdicts, judge, pairs)
 *   responses.jsonl          every sampled response with its pass rate, judge scores and fate
 *   prompts.jsonl            every SFT prompt with the instruction's kept functions (the online DPO input)
 *   sft_*&#47;part-NNNNN.json[l], dpo_*&#47;part-NNNNN.json[l], dataset_parts.json, dataset_info.json, DATASET_CARD.md
 *                            the datasets, in parts (see DatasetWriter)
 *   report.html              charts and tables of all of the above (see CampaignReport)
 * </pre>
 * The files from verifiers.jsonl on are written by the export ({@link ExportActivitiesImpl}).
 */
public class CampaignStoreActivitiesImpl implements CampaignStoreActivities {
    public static final String INSTRUCTIONS = "instructions.jsonl";
    /** S1: which instruction was merged into which, and how similar they were. */
    public static final String MERGED = "merged.jsonl";
    public static final String VERIFIERS = "verifiers.jsonl";
    public static final String DROPPED = "dropped.jsonl";
    public static final String FUNNEL = "funnel.json";
    public static final String BACK_TRANSLATIONS = "back_translations.jsonl";
    public static final String QUERIES = "queries.jsonl";
    public static final String QUERY_IMPORT = "query_import.json";
    public static final String RESPONSES = "responses.jsonl";
    public static final String PROMPTS = "prompts.jsonl";
    private static final String ITEMS = "items";
    private static final String RESPONSES_SUFFIX = ".responses.json";

    /** One sampler per query pool file, built once: its line index is what makes a draw cheap. */
    private final java.util.Map<Path, QuerySampler> samplers = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path dataDir;
    private final ObjectMapper json = WireFormat.internalObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    public CampaignStoreActivitiesImpl(Path dataDir) {
        this.dataDir = dataDir;
    }

    @Override
    public PreparedCampaign prepare(String campaignId, SeedSource seeds, String outputDir) {
        Path dir = outputDir != null && !outputDir.isBlank()
                ? Path.of(outputDir)
                : dataDir.resolve("campaigns").resolve(campaignId.replaceAll("[^A-Za-z0-9_.-]", "_"));
        List<String> raw = seeds.inline() != null ? seeds.inline() : readSeedFile(seeds.file());
        LinkedHashSet<String> distinct = new LinkedHashSet<>();
        for (String s : raw) {
            String normalized = InstructionMerger.normalize(s);
            if (!normalized.isEmpty()) {
                distinct.add(normalized);
            }
        }
        if (distinct.isEmpty()) {
            throw ApplicationFailure.newNonRetryableFailure("no instructions: the seeds are all blank", FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        writeInstructions(dir, List.copyOf(distinct));
        return new PreparedCampaign(dir.toAbsolutePath().toString(), distinct.size(), raw.size() - distinct.size());
    }

    @Override
    public PreparedCampaign mergeInstructions(String outputDir, List<String> seeds, List<String> generated,
                                              double nearDuplicateThreshold) {
        List<String> all = new ArrayList<>(seeds);
        all.addAll(generated);
        InstructionMerger.Result merged = InstructionMerger.merge(all, nearDuplicateThreshold);
        Path dir = Path.of(outputDir);
        writeInstructions(dir, merged.kept());
        StringBuilder out = new StringBuilder();
        for (InstructionMerger.Merge m : merged.merges()) {
            ObjectNode row = json.createObjectNode();
            row.put("instruction", m.instruction());
            row.put("merged_into", m.mergedInto());
            row.put("merged_into_id", instructionId(m.mergedInto()));
            row.put("kind", m.exact() ? "exact" : "near");
            row.put("similarity", m.similarity());
            out.append(row).append('\n');
        }
        AtomicFiles.write(dir.resolve(MERGED), out.toString());
        return new PreparedCampaign(outputDir, merged.kept().size(), merged.merges().size());
    }

    private void writeInstructions(Path dir, List<String> instructions) {
        StringBuilder out = new StringBuilder();
        int index = 0;
        for (String text : instructions) {
            ObjectNode row = json.createObjectNode();
            row.put("index", index++);
            row.put("id", instructionId(text));
            row.put("instruction", text);
            out.append(row).append('\n');
        }
        AtomicFiles.write(dir.resolve(INSTRUCTIONS), out.toString());
    }

    private static List<String> readSeedFile(String file) {
        try {
            return Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw ApplicationFailure.newNonRetryableFailure("seed file '" + file + "' does not exist (as seen by the worker, in "
                    + Path.of("").toAbsolutePath() + ")", FailureTypes.INVALID_CAMPAIGN_INPUT);
        } catch (MalformedInputException e) {
            throw ApplicationFailure.newNonRetryableFailure("seed file '" + file + "' is not UTF-8 text",
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        } catch (IOException e) {
            throw ApplicationFailure.newNonRetryableFailure("cannot read seed file '" + file + "': " + e.getMessage(),
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
    }

    /** Stable across runs and machines: the first 16 hex digits of SHA-256 of the text. */
    public static String instructionId(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public List<InstructionRef> readInstructions(String outputDir, int offset, int limit) {
        List<InstructionRef> page = new ArrayList<>();
        try (Stream<String> lines = Files.lines(Path.of(outputDir, INSTRUCTIONS), StandardCharsets.UTF_8)) {
            lines.skip(offset).limit(limit).forEach(line -> {
                try {
                    var node = json.readTree(line);
                    page.add(new InstructionRef(node.get("index").asInt(), node.get("id").asText(), node.get("instruction").asText()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return page;
    }

    @Override
    public void recordInstruction(String outputDir, InstructionRecord record) {
        Path file = itemFile(outputDir, record.index(), record.instructionId());
        try {
            AtomicFiles.write(file, json.writeValueAsString(record));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public InstructionRecord readInstruction(String outputDir, int index, String instructionId) {
        Path file = itemFile(outputDir, index, instructionId);
        try {
            return json.readValue(file.toFile(), InstructionRecord.class);
        } catch (IOException e) {
            throw ApplicationFailure.newFailure("cannot read the record of instruction " + index + " (" + file + "): "
                    + e.getMessage(), FailureTypes.STORAGE);
        }
    }

    private static Path itemFile(String outputDir, int index, String instructionId) {
        return Path.of(outputDir, ITEMS, String.format("%06d-%s.json", index, instructionId));
    }

    @Override
    public QueryPool importQueries(String outputDir, String queryFile, int minChars, int maxChars) {
        Path source = Path.of(queryFile);
        if (!Files.isReadable(source)) {
            throw ApplicationFailure.newNonRetryableFailure("query file " + source.toAbsolutePath()
                    + " does not exist or is not readable by the worker", FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        Path pool = Path.of(outputDir, QUERIES);
        Path partial = Path.of(outputDir, QUERIES + ".partial");
        QueryImporter.Report r;
        try {
            r = new QueryImporter(minChars, maxChars).importFile(source, partial);
            Files.move(partial, pool, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw ApplicationFailure.newFailure("cannot import queries from " + source + ": " + e.getMessage(),
                    FailureTypes.STORAGE);
        }
        samplers.remove(pool);
        QueryPool result = new QueryPool(source.toAbsolutePath().toString(), r.records(), r.kept(), r.malformed(),
                r.noUserTurn(), r.tooShort(), r.tooLong(), r.duplicates(), r.errors());
        try {
            AtomicFiles.write(Path.of(outputDir, QUERY_IMPORT), json.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    @Override
    public List<String> drawQueries(QueryDraw draw) {
        Path pool = Path.of(draw.outputDir(), QUERIES);
        try {
            QuerySampler sampler = samplers.computeIfAbsent(pool, p -> {
                try {
                    return new QuerySampler(p, draw.maxUses(), draw.seed());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return sampler.sample(draw.instructionIndex(), draw.count());
        } catch (IOException | UncheckedIOException e) {
            throw ApplicationFailure.newFailure("cannot read the query pool " + pool + ": " + e.getMessage(),
                    FailureTypes.STORAGE);
        }
    }

    @Override
    public void recordPrompt(String outputDir, PromptRecord record) {
        Path file = promptFile(Path.of(outputDir), record.instructionIndex(), record.instructionId(), record.promptIndex());
        try {
            AtomicFiles.write(file, json.writeValueAsString(record));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path promptFile(Path dir, int instructionIndex, String instructionId, int promptIndex) {
        return dir.resolve(ITEMS).resolve(String.format("%06d-%s", instructionIndex, instructionId))
                .resolve(String.format("prompt-%03d.json", promptIndex));
    }

    @Override
    public void recordResponses(String outputDir, ResponseStageRecord record) {
        Path file = Path.of(outputDir, ITEMS, String.format("%06d-%s%s", record.index(), record.instructionId(), RESPONSES_SUFFIX));
        try {
            AtomicFiles.write(file, json.writeValueAsString(record));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A row of the reference's cross_validation.jsonl: instruction, eval_func [[func, acc]], cases [[input, label]]. */
    public static ObjectNode referenceRow(ObjectMapper json, String instruction, List<VerifierRecord> verifiers,
                                         List<CaseRecord> caseRecords) {
        ObjectNode row = json.createObjectNode();
        row.put("instruction", instruction);
        ArrayNode funcs = row.putArray("eval_func");
        for (VerifierRecord v : verifiers) {
            if (v.kept()) {
                funcs.addArray().add(v.func()).add(v.accuracy());
            }
        }
        ArrayNode cases = row.putArray("cases");
        for (CaseRecord c : caseRecords) {
            if (c.kept()) {
                cases.addArray().add(c.input()).add(c.label());
            }
        }
        return row;
    }
}
