package dev.autoif.activities.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.dpostore.DpoPairsFile;
import dev.autoif.workflows.activities.dpostore.DpoPrompt;
import dev.autoif.workflows.activities.dpostore.DpoPromptPage;
import dev.autoif.workflows.activities.dpostore.AssembleDpoPairsRequest;
import dev.autoif.workflows.activities.dpostore.PositionalDpoStore;
import dev.autoif.workflows.activities.dpostore.ReadDpoPromptsRequest;
import dev.autoif.workflows.activities.dpostore.ReadDpoRoundRequest;
import dev.autoif.workflows.activities.dpostore.RecordDpoRoundRequest;
import dev.autoif.workflows.activities.dpostore.WriteDpoPairsPageRequest;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.activities.dpostore.DpoRoundResult;
import io.temporal.failure.ApplicationFailure;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Online DPO's files, at locations any worker opens through {@link ArtifactStores} (a directory or an
 * {@code s3://} prefix): prompts.jsonl read page by page, pair pages, the TRL pairs file, round.json.
 */
public class DpoStoreActivitiesImpl extends PositionalDpoStore {
    static final String PROMPTS_FILE = "prompts.jsonl";
    static final String PAIRS_FILE = "dpo_pairs.jsonl";
    static final String ROUND_FILE = "round.json";
    private static final ObjectMapper JSON = WireFormat.internalObjectMapper();

    private final ArtifactStores stores;

    public DpoStoreActivitiesImpl(ArtifactStores stores) {
        this.stores = stores;
    }

    private ArtifactStore open(String location, String what) {
        try {
            return stores.open(location);
        } catch (IllegalArgumentException e) {
            throw invalid("'" + what + "' " + e.getMessage());
        }
    }

    @Override
    public DpoPromptPage readPrompts(ReadDpoPromptsRequest request) {
        String campaignDir = request.campaignDir();
        long byteOffset = request.byteOffset();
        ArtifactStore campaign = open(campaignDir, "campaignDir");
        String where = campaign.location(PROMPTS_FILE);
        List<DpoPrompt> prompts = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(campaign.open(PROMPTS_FILE), 1 << 16)) {
            in.skipNBytes(byteOffset);
            long offset = byteOffset;
            long lineNo = request.line();
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            boolean eof = false;
            while (prompts.size() < request.limit() && !eof) {
                buffer.reset();
                int b;
                while ((b = in.read()) != -1) {
                    offset++;
                    if (b == '\n') break;
                    buffer.write(b);
                }
                eof = b == -1 || peekEof(in);
                if (b == -1 && buffer.size() == 0) break;
                String text = buffer.toString(StandardCharsets.UTF_8);
                if (!text.isBlank()) {
                    prompts.add(parse(where, lineNo, text));
                }
                lineNo++;
            }
            return new DpoPromptPage(prompts, offset, lineNo, eof);
        } catch (ArtifactStore.ArtifactNotFoundException e) {
            throw invalid("'campaignDir' " + campaignDir + " has no " + PROMPTS_FILE
                    + " (a finished campaign writes it; the location is as the workers see it)");
        } catch (java.io.EOFException e) {
            throw invalid(where + " is shorter than the page cursor (" + byteOffset + " bytes): it changed under the round");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + where + ": " + e.getMessage(), e);
        }
    }

    /** Whether nothing follows: the page ends the file exactly when its last line does. */
    private static boolean peekEof(InputStream in) throws IOException {
        in.mark(1);
        boolean eof = in.read() == -1;
        in.reset();
        return eof;
    }

    /** A row needs instructionId, prompt and a non-empty list of functions; other fields are the campaign's business. */
    private static DpoPrompt parse(String file, long line, String text) {
        String where = file + " line " + line + ": ";
        JsonNode row;
        try {
            row = JSON.readTree(text);
        } catch (IOException e) {
            throw invalid(where + "not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        String id = row.path("instructionId").isTextual() ? row.get("instructionId").asText() : null;
        String prompt = row.path("prompt").isTextual() ? row.get("prompt").asText() : null;
        if (id == null || id.isBlank()) throw invalid(where + "'instructionId' is missing or not a string");
        if (prompt == null || prompt.isBlank()) throw invalid(where + "'prompt' is missing or not a string");
        JsonNode functions = row.path("functions");
        if (!functions.isArray() || functions.isEmpty()) {
            throw invalid(where + "'functions' must be a non-empty list of Python sources defining evaluate(response)");
        }
        List<String> sources = new ArrayList<>();
        for (JsonNode f : functions) {
            if (!f.isTextual()) throw invalid(where + "'functions' must hold strings");
            sources.add(f.asText());
        }
        return new DpoPrompt(id, prompt, sources);
    }

    private static ApplicationFailure invalid(String message) {
        return ApplicationFailure.newNonRetryableFailure(message, FailureTypes.INVALID_CAMPAIGN_INPUT);
    }

    static String pageKey(int page) {
        return String.format("pairs/page-%06d.jsonl", page);
    }

    @Override
    public void writePairsPage(WriteDpoPairsPageRequest request) {
        StringBuilder out = new StringBuilder();
        for (PreferencePair p : request.pairs()) {
            out.append(json(p)).append('\n');
        }
        open(request.roundDir(), "roundDir").writeString(pageKey(request.page()), out.toString());
    }

    @Override
    public DpoPairsFile assemblePairs(AssembleDpoPairsRequest request) {
        ArtifactStore round = open(request.roundDir(), "roundDir");
        long rows = 0;
        try (ArtifactStore.ArtifactOutput out = round.create(PAIRS_FILE)) {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
            for (int page = 0; page < request.pages(); page++) {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(round.open(pageKey(page)), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.isBlank()) continue;
                        PreferencePair p = JSON.readValue(line, PreferencePair.class);
                        ObjectNode trl = JSON.createObjectNode()
                                .put("prompt", p.prompt()).put("chosen", p.chosen()).put("rejected", p.rejected());
                        w.write(JSON.writeValueAsString(trl));
                        w.write('\n');
                        rows++;
                    }
                }
            }
            w.flush();
            out.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + round.location(PAIRS_FILE) + ": " + e.getMessage(), e);
        }
        return new DpoPairsFile(round.location(PAIRS_FILE), rows);
    }

    @Override
    public void recordRound(RecordDpoRoundRequest request) {
        try {
            open(request.roundDir(), "roundDir").writeString(ROUND_FILE,
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(request.result()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public DpoRoundResult readRound(ReadDpoRoundRequest request) {
        ArtifactStore round = open(request.roundDir(), "roundDir");
        byte[] recorded = round.find(ROUND_FILE).orElse(null);
        if (recorded == null) {
            return null;
        }
        try {
            return JSON.readValue(recorded, DpoRoundResult.class);
        } catch (IOException e) {
            throw ApplicationFailure.newNonRetryableFailure(round.location(ROUND_FILE) + " exists but cannot be read ("
                    + e.getMessage() + "); delete it to redo the round", FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
