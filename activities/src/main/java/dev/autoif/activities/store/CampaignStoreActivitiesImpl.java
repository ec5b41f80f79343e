package dev.autoif.activities.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.CampaignKeys;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.queries.QueryImporter;
import dev.autoif.activities.queries.QueryPages;
import dev.autoif.activities.queries.QuerySampler;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.store.CaseRecord;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.store.InstructionRef;
import dev.autoif.workflows.activities.store.PreparedCampaign;
import dev.autoif.workflows.activities.store.PromptRecord;
import dev.autoif.workflows.activities.store.QueryDraw;
import dev.autoif.workflows.activities.store.QueryPool;
import dev.autoif.workflows.activities.store.ResponseStageRecord;
import dev.autoif.workflows.activities.store.SeedSource;
import dev.autoif.workflows.activities.store.VerifierRecord;
import dev.autoif.workflows.activities.store.ImportQueriesRequest;
import dev.autoif.workflows.activities.store.InstructionPage;
import dev.autoif.workflows.activities.store.MergeInstructionsRequest;
import dev.autoif.workflows.activities.store.PositionalCampaignStore;
import dev.autoif.workflows.activities.store.PrepareCampaignRequest;
import dev.autoif.workflows.activities.store.ReadInstructionRequest;
import dev.autoif.workflows.activities.store.ReadInstructionsRequest;
import dev.autoif.workflows.activities.store.RecordInstructionRequest;
import dev.autoif.workflows.activities.store.RecordPromptRequest;
import dev.autoif.workflows.activities.store.RecordResponsesRequest;
import io.temporal.failure.ApplicationFailure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A campaign's artifacts, at a location any worker opens through {@link ArtifactStores} (a directory, or
 * {@code s3://bucket/prefix/campaigns/ID}); no activity here reads a worker's local path or lists keys (the export
 * still does: it is being rewritten apart). The keys:
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
 *   queries/page-NNNNNN.jsonl Stage 2: the pool cut into pages, drawn from by position (see QueryPages)
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
public class CampaignStoreActivitiesImpl extends PositionalCampaignStore {
    public static final String QUERIES = QueryPages.POOL;

    private final ArtifactStores stores;
    /** Where campaigns without an {@code outputDir} go: the worker's store root (a directory or s3://bucket/prefix). */
    private final String storeRoot;
    /** Campaign stores by location, opened once (an object-store client is not free to build). */
    private final Map<String, ArtifactStore> opened = new ConcurrentHashMap<>();
    /** One paged pool and sampler per (campaign, seed, cap), built once: pages read stay cached. */
    private final Map<PoolKey, Pool> pools = new ConcurrentHashMap<>();
    private final ObjectMapper json = WireFormat.internalObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private record PoolKey(String location, int maxUses, long seed) {}

    private record Pool(QueryPages pages, QuerySampler sampler) {}

    /**
     * @param stores    opens campaign locations and input objects by scheme
     * @param storeRoot the root new campaigns go under ({@code campaigns/ID}) unless their input names an outputDir
     */
    public CampaignStoreActivitiesImpl(ArtifactStores stores, String storeRoot) {
        this.stores = stores;
        this.storeRoot = storeRoot;
    }

    private ArtifactStore campaign(String location) {
        return opened.computeIfAbsent(location, stores::open);
    }

    @Override
    public PreparedCampaign prepare(PrepareCampaignRequest request) {
        String outputDir = request.outputDir();
        ArtifactStore campaign;
        try {
            campaign = outputDir != null && !outputDir.isBlank() ? campaign(outputDir)
                    : campaign(storeRoot).under("campaigns/" + request.campaignId().replaceAll("[^A-Za-z0-9_.-]", "_"));
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure("campaign location: " + e.getMessage(),
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        SeedSource seeds = request.seeds();
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
        writeInstructions(campaign, List.copyOf(distinct));
        return new PreparedCampaign(campaign.location(), distinct.size(), raw.size() - distinct.size());
    }

    @Override
    public PreparedCampaign mergeInstructions(MergeInstructionsRequest request) {
        List<String> all = new ArrayList<>(request.seeds());
        all.addAll(request.generated());
        InstructionMerger.Result merged = InstructionMerger.merge(all, request.nearDuplicateThreshold());
        ArtifactStore campaign = campaign(request.outputDir());
        writeInstructions(campaign, merged.kept());
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
        campaign.writeString(CampaignKeys.MERGED, out.toString());
        return new PreparedCampaign(request.outputDir(), merged.kept().size(), merged.merges().size());
    }

    private void writeInstructions(ArtifactStore campaign, List<String> instructions) {
        StringBuilder out = new StringBuilder();
        int index = 0;
        for (String text : instructions) {
            ObjectNode row = json.createObjectNode();
            row.put("index", index++);
            row.put("id", instructionId(text));
            row.put("instruction", text);
            out.append(row).append('\n');
        }
        campaign.writeString(CampaignKeys.INSTRUCTIONS, out.toString());
    }

    /** The user's seed file, wherever the client put it (a path or an s3:// object); any problem is one line. */
    private List<String> readSeedFile(String file) {
        ArtifactStores.StoredObject seeds = input("seed file", file);
        byte[] bytes = seeds.store().find(seeds.key()).orElseThrow(() -> ApplicationFailure.newNonRetryableFailure(
                "seed file '" + file + "' does not exist (looked for " + seeds.location() + ")",
                FailureTypes.INVALID_CAMPAIGN_INPUT));
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString()
                    .lines().toList();
        } catch (CharacterCodingException e) {
            throw ApplicationFailure.newNonRetryableFailure("seed file '" + file + "' is not UTF-8 text",
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
    }

    /** A campaign input named by its full location; a location no backend of this worker opens is the input's fault. */
    private ArtifactStores.StoredObject input(String what, String location) {
        try {
            return stores.object(location);
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure(what + " '" + location + "': " + e.getMessage(),
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
    public InstructionPage readInstructions(ReadInstructionsRequest request) {
        List<InstructionRef> page = new ArrayList<>();
        ArtifactStore campaign = campaign(request.outputDir());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(campaign.open(CampaignKeys.INSTRUCTIONS), StandardCharsets.UTF_8))) {
            int skipped = 0;
            for (String line; page.size() < request.limit() && (line = lines.readLine()) != null; ) {
                if (skipped++ < request.offset()) {
                    continue;
                }
                var node = json.readTree(line);
                page.add(new InstructionRef(node.get("index").asInt(), node.get("id").asText(), node.get("instruction").asText()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + campaign.location(CampaignKeys.INSTRUCTIONS) + ": " + e.getMessage(), e);
        }
        return new InstructionPage(page);
    }

    @Override
    public void recordInstruction(RecordInstructionRequest request) {
        InstructionRecord record = request.record();
        ArtifactStore campaign = campaign(request.outputDir());
        if (request.samplesInStore()) {
            try {
                record = record.withSamples(StoredCompletions.readVerifierSamples(campaign, record.index(),
                        record.instructionId()));
            } catch (ArtifactStore.ArtifactNotFoundException e) {
                throw StoredCompletions.notStored("the S2 completions of instruction " + record.index(), e);
            }
        }
        campaign.writeString(CampaignKeys.item(record.index(), record.instructionId()), write(record));
    }

    @Override
    public InstructionRecord readInstruction(ReadInstructionRequest request) {
        ArtifactStore campaign = campaign(request.outputDir());
        String key = CampaignKeys.item(request.index(), request.instructionId());
        try {
            return json.readValue(campaign.read(key), InstructionRecord.class);
        } catch (IOException | UncheckedIOException e) {
            throw ApplicationFailure.newFailure("cannot read the record of instruction " + request.index() + " ("
                    + campaign.location(key) + "): " + e.getMessage(), FailureTypes.STORAGE);
        }
    }

    @Override
    public QueryPool importQueries(ImportQueriesRequest request) {
        ArtifactStores.StoredObject source = input("query file", request.queryFile());
        ArtifactStore campaign = campaign(request.outputDir());
        QueryImporter.Report r;
        try (InputStream in = source.store().open(source.key());
             ArtifactStore.ArtifactOutput pool = campaign.create(QUERIES)) {
            r = new QueryImporter(request.minChars(), request.maxChars()).importFrom(in, pool);
            pool.commit();
        } catch (ArtifactStore.ArtifactNotFoundException e) {
            throw ApplicationFailure.newNonRetryableFailure("query file " + source.location()
                    + " does not exist or is not readable by the worker", FailureTypes.INVALID_CAMPAIGN_INPUT);
        } catch (IOException | UncheckedIOException e) {
            throw ApplicationFailure.newFailure("cannot import queries from " + source.location() + ": " + e.getMessage(),
                    FailureTypes.STORAGE);
        }
        QueryPages.write(campaign);
        pools.keySet().removeIf(k -> k.location().equals(request.outputDir()));
        QueryPool result = new QueryPool(source.location(), r.records(), r.kept(), r.malformed(),
                r.noUserTurn(), r.tooShort(), r.tooLong(), r.duplicates(), r.errors());
        try {
            campaign.writeString(CampaignKeys.QUERY_IMPORT, json.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    @Override
    public List<String> drawQueries(QueryDraw draw) {
        ArtifactStore campaign = campaign(draw.outputDir());
        try {
            Pool pool = pools.computeIfAbsent(new PoolKey(draw.outputDir(), draw.maxUses(), draw.seed()), k -> {
                QueryPages pages = QueryPages.open(campaign);
                return new Pool(pages, new QuerySampler(pages.size(), k.maxUses(), k.seed()));
            });
            return pool.pages().queries(pool.sampler().draw(draw.instructionIndex(), draw.count()));
        } catch (UncheckedIOException e) {
            throw ApplicationFailure.newFailure("cannot read the query pool " + campaign.location(QUERIES) + ": "
                    + e.getMessage(), FailureTypes.STORAGE);
        }
    }

    @Override
    public void recordPrompt(RecordPromptRequest request) {
        PromptRecord record = request.record();
        ArtifactStore campaign = campaign(request.outputDir());
        if (request.responsesInStore()) {
            try {
                record = record.withResponses(StoredCompletions.readResponses(campaign, record.instructionIndex(),
                        record.instructionId(), record.promptIndex()));
            } catch (ArtifactStore.ArtifactNotFoundException e) {
                throw StoredCompletions.notStored("the S6 responses of prompt " + record.promptIndex()
                        + " of instruction " + record.instructionIndex(), e);
            } catch (IllegalArgumentException e) { // not the responses the record was made of: no retry mends it
                throw ApplicationFailure.newNonRetryableFailure("the stored S6 responses of prompt " + record.promptIndex()
                        + " of instruction " + record.instructionIndex() + " do not match its record: " + e.getMessage(),
                        FailureTypes.STORAGE);
            }
        }
        campaign.writeString(
                CampaignKeys.prompt(record.instructionIndex(), record.instructionId(), record.promptIndex()), write(record));
    }

    @Override
    public void recordResponses(RecordResponsesRequest request) {
        ResponseStageRecord record = request.record();
        campaign(request.outputDir()).writeString(CampaignKeys.responses(record.index(), record.instructionId()), write(record));
    }

    private String write(Object record) {
        try {
            return json.writeValueAsString(record);
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
