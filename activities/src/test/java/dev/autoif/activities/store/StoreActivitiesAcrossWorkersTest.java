package dev.autoif.activities.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.artifacts.MemoryArtifactStore;
import dev.autoif.activities.dpo.DpoStoreActivitiesImpl;
import dev.autoif.workflows.activities.dpostore.DpoPairsFile;
import dev.autoif.workflows.activities.dpostore.DpoPromptPage;
import dev.autoif.workflows.activities.store.InstructionRecord;
import dev.autoif.workflows.activities.store.InstructionRef;
import dev.autoif.workflows.activities.store.PreparedCampaign;
import dev.autoif.workflows.activities.store.PromptRecord;
import dev.autoif.workflows.activities.store.QueryDraw;
import dev.autoif.workflows.activities.store.QueryPool;
import dev.autoif.workflows.activities.store.ResponseStageRecord;
import dev.autoif.workflows.activities.store.SeedSource;
import dev.autoif.workflows.activities.dpostore.AssembleDpoPairsRequest;
import dev.autoif.workflows.activities.dpostore.ReadDpoPromptsRequest;
import dev.autoif.workflows.activities.dpostore.ReadDpoRoundRequest;
import dev.autoif.workflows.activities.dpostore.RecordDpoRoundRequest;
import dev.autoif.workflows.activities.dpostore.WriteDpoPairsPageRequest;
import dev.autoif.workflows.activities.store.ImportQueriesRequest;
import dev.autoif.workflows.activities.store.MergeInstructionsRequest;
import dev.autoif.workflows.activities.store.PrepareCampaignRequest;
import dev.autoif.workflows.activities.store.ReadInstructionRequest;
import dev.autoif.workflows.activities.store.ReadInstructionsRequest;
import dev.autoif.workflows.activities.store.RecordInstructionRequest;
import dev.autoif.workflows.activities.store.RecordPromptRequest;
import dev.autoif.workflows.activities.store.RecordResponsesRequest;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.activities.dpostore.DpoRoundResult;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each step of a campaign runs on another "worker" (a fresh activity instance: nothing cached, nothing shared but the
 * store's location), as Temporal hands tasks to whichever worker polls. Two stores: a filesystem store rooted away from
 * every worker's data directory, and "mem://", which has no file behind it at all: an activity that still read or
 * wrote a local path would fail there, or leave a file in a data directory.
 */
class StoreActivitiesAcrossWorkersTest {
    @TempDir
    Path tmp;

    private ArtifactStores stores;
    private String root;
    private final List<Path> workerDataDirs = new ArrayList<>();

    private void storeOn(String backend) throws IOException {
        if (backend.equals("mem")) {
            stores = MemoryArtifactStore.stores(MemoryArtifactStore.newObjects());
            root = "mem://bucket/autoif";
        } else {
            stores = ArtifactStores.filesystemOnly();
            root = Files.createDirectories(tmp.resolve("shared-store")).toString();
        }
    }

    /** A worker: its own (empty, unused) data directory, its own activity instances, the same store root. */
    private CampaignStoreActivitiesImpl worker() throws IOException {
        workerDataDirs.add(Files.createDirectories(tmp.resolve("worker-" + workerDataDirs.size())));
        return new CampaignStoreActivitiesImpl(stores, root);
    }

    /** Inputs as the client uploads them: full locations in the store, not paths a worker knows. */
    private String upload(String name, String content) {
        ArtifactStore inputs = stores.open(root).under("inputs");
        inputs.writeString(name, content);
        return inputs.location(name);
    }

    private static String query(int i) {
        return "{\"conversations\": [{\"from\": \"human\", \"value\": \"How do I plan a trip for " + i + " friends?\"}]}";
    }

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "mem"})
    void everyStepReadsWhatAnotherWorkerWrote(String backend) throws IOException {
        storeOn(backend);
        String seeds = upload("sha256-ab-seeds.jsonl", "Answer in French.\nUse no commas.\nAnswer in French.\n");
        StringBuilder queries = new StringBuilder();
        for (int i = 0; i < 600; i++) queries.append(query(i)).append('\n');
        String queryFile = upload("sha256-cd-queries.jsonl", queries.toString());

        PreparedCampaign prepared = worker().prepare(new PrepareCampaignRequest("c/1", new SeedSource(null, seeds), null));
        String campaign = prepared.outputDir();
        assertEquals(stores.open(root).under("campaigns/c_1").location(), campaign, "under the worker's store root");
        assertEquals(2, prepared.instructionCount());
        assertEquals(1, prepared.duplicatesRemoved());

        PreparedCampaign merged = worker().mergeInstructions(new MergeInstructionsRequest(campaign,
                List.of("Answer in French.", "Use no commas."), List.of("Answer in German.", "Use no commas!"), 0.9));
        assertEquals(3, merged.instructionCount());
        List<InstructionRef> page = worker().readInstructions(new ReadInstructionsRequest(campaign, 1, 5)).instructions();
        assertEquals(List.of("Use no commas.", "Answer in German."), page.stream().map(InstructionRef::text).toList());
        InstructionRef first = worker().readInstructions(new ReadInstructionsRequest(campaign, 0, 1)).instructions().get(0);

        InstructionRecord record = new InstructionRecord(first.index(), first.id(), first.text(), "default", List.of(),
                List.of(), List.of(), List.of(), List.of(), null, "kept", List.of());
        worker().recordInstruction(new RecordInstructionRequest(campaign, record));
        assertEquals(record, worker().readInstruction(new ReadInstructionRequest(campaign, first.index(), first.id())));

        QueryPool pool = worker().importQueries(new ImportQueriesRequest(campaign, queryFile, 20, 300));
        assertEquals(600, pool.queries());
        assertEquals(queryFile, pool.source());
        QueryDraw draw = new QueryDraw(campaign, 7, 16, 2, 42);
        List<String> drawn = worker().drawQueries(draw);
        assertEquals(16, drawn.size());
        assertEquals(drawn, worker().drawQueries(draw), "any worker draws the same");

        PromptRecord prompt = new PromptRecord(first.index(), first.id(), 0, drawn.get(0), "prompt", List.of(), List.of(), null);
        worker().recordPrompt(new RecordPromptRequest(campaign, prompt));
        worker().recordResponses(new RecordResponsesRequest(campaign, new ResponseStageRecord(first.index(), first.id(),
                first.text(), List.of(), 1, List.of())));
        ArtifactStore stored = stores.open(campaign);
        for (String key : List.of("instructions.jsonl", "merged.jsonl", "items/000000-" + first.id() + ".json",
                "items/000000-" + first.id() + "/prompt-000.json", "items/000000-" + first.id() + ".responses.json",
                "queries.jsonl", "query_import.json")) {
            assertTrue(stored.exists(key), "the key of today's campaign directory: " + key);
        }
        assertWorkersWroteNothingLocally();
    }

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "mem"})
    void aMissingInputIsOneNonRetryableLineNamingIt(String backend) throws IOException {
        storeOn(backend);
        String missing = stores.open(root).under("inputs").location("sha256-00-seeds.jsonl");
        ApplicationFailure seeds = assertThrows(ApplicationFailure.class, () -> worker().prepare(
                new PrepareCampaignRequest("c", new SeedSource(null, missing), null)));
        assertTrue(seeds.isNonRetryable());
        assertTrue(seeds.getOriginalMessage().contains(missing) && !seeds.getOriginalMessage().contains("\n"),
                seeds.getOriginalMessage());

        String campaign = worker().prepare(new PrepareCampaignRequest("c", new SeedSource(List.of("x y"), null), null))
                .outputDir();
        ApplicationFailure queries = assertThrows(ApplicationFailure.class, () -> worker().importQueries(
                new ImportQueriesRequest(campaign, missing, 20, 300)));
        assertTrue(queries.isNonRetryable());
        assertTrue(queries.getOriginalMessage().contains(missing), queries.getOriginalMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "mem"})
    void onlineDpoRoundsReadAndWriteThroughTheStore(String backend) throws IOException {
        storeOn(backend);
        String campaign = stores.open(root).under("campaigns/c").location();
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            prompts.append("{\"instructionId\": \"i").append(i).append("\", \"prompt\": \"p").append(i)
                    .append("\", \"functions\": [\"def evaluate(r): return True\"]}\n");
        }
        stores.open(campaign).writeString("prompts.jsonl", prompts.toString());
        String roundDir = stores.open(campaign).under("online-dpo/round-1").location();

        DpoPromptPage first = new DpoStoreActivitiesImpl(stores).readPrompts(new ReadDpoPromptsRequest(campaign, 0, 1, 3));
        assertEquals(List.of("i0", "i1", "i2"), first.prompts().stream().map(p -> p.instructionId()).toList());
        assertFalse(first.eof());
        DpoPromptPage rest = new DpoStoreActivitiesImpl(stores).readPrompts(new ReadDpoPromptsRequest(campaign,
                first.nextByteOffset(), first.nextLine(), 3));
        assertEquals(List.of("i3", "i4"), rest.prompts().stream().map(p -> p.instructionId()).toList());
        assertTrue(rest.eof());
        assertEquals(prompts.length(), rest.nextByteOffset());

        PreferencePair pair = new PreferencePair("i0", "p0", "good", "bad", 1.0, 0.0, PreferencePair.RESPONSE_LEVEL);
        new DpoStoreActivitiesImpl(stores).writePairsPage(new WriteDpoPairsPageRequest(roundDir, 0, List.of(pair)));
        new DpoStoreActivitiesImpl(stores).writePairsPage(new WriteDpoPairsPageRequest(roundDir, 1, List.of(pair, pair)));
        DpoPairsFile pairs = new DpoStoreActivitiesImpl(stores).assemblePairs(new AssembleDpoPairsRequest(roundDir, 2));
        assertEquals(3, pairs.pairs());
        assertEquals(stores.open(roundDir).location("dpo_pairs.jsonl"), pairs.path());

        assertNull(new DpoStoreActivitiesImpl(stores).readRound(new ReadDpoRoundRequest(roundDir)));
        DpoRoundResult result = new DpoRoundResult(1, "http://policy", "m", 5, 0, 10, 0, 1, 3, pairs.path(), "ckpt", 0,
                "log", 1, false, List.of(), List.of(), null);
        new DpoStoreActivitiesImpl(stores).recordRound(new RecordDpoRoundRequest(roundDir, result));
        assertEquals(result, new DpoStoreActivitiesImpl(stores).readRound(new ReadDpoRoundRequest(roundDir)));
    }

    private void assertWorkersWroteNothingLocally() throws IOException {
        for (Path dir : workerDataDirs) {
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(), files.toList(), "a worker wrote into its own data directory");
            }
        }
    }
}
