package dev.autoif.activities.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.store.AtomicFiles;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.activities.DpoPairsFile;
import dev.autoif.workflows.activities.DpoPrompt;
import dev.autoif.workflows.activities.DpoPromptPage;
import dev.autoif.workflows.activities.DpoStoreActivities;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dpo.DpoRoundResult;
import io.temporal.failure.ApplicationFailure;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Online DPO's files: prompts.jsonl read page by page, pair pages, the TRL pairs file, round.json. */
public class DpoStoreActivitiesImpl implements DpoStoreActivities {
    static final String PROMPTS_FILE = "prompts.jsonl";
    static final String PAIRS_FILE = "dpo_pairs.jsonl";
    static final String ROUND_FILE = "round.json";
    private static final ObjectMapper JSON = WireFormat.internalObjectMapper();

    @Override
    public DpoPromptPage readPrompts(String campaignDir, long byteOffset, long line, int limit) {
        Path file = Path.of(campaignDir).resolve(PROMPTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw ApplicationFailure.newNonRetryableFailure("'campaignDir' " + campaignDir + " has no " + PROMPTS_FILE
                    + " (a finished campaign writes it; the path is as the workers see it)",
                    FailureTypes.INVALID_CAMPAIGN_INPUT);
        }
        List<DpoPrompt> prompts = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            channel.position(byteOffset);
            InputStream in = new BufferedInputStream(Channels.newInputStream(channel), 1 << 16);
            long offset = byteOffset;
            long lineNo = line;
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            while (prompts.size() < limit && offset < size) {
                buffer.reset();
                int b;
                while ((b = in.read()) != -1) {
                    offset++;
                    if (b == '\n') break;
                    buffer.write(b);
                }
                String text = buffer.toString(StandardCharsets.UTF_8);
                if (!text.isBlank()) {
                    prompts.add(parse(file, lineNo, text));
                }
                lineNo++;
                if (b == -1) break;
            }
            return new DpoPromptPage(prompts, offset, lineNo, offset >= size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** A row needs instructionId, prompt and a non-empty list of functions; other fields are the campaign's business. */
    private static DpoPrompt parse(Path file, long line, String text) {
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

    static Path pageFile(String roundDir, int page) {
        return Path.of(roundDir).resolve("pairs").resolve(String.format("page-%06d.jsonl", page));
    }

    @Override
    public void writePairsPage(String roundDir, int page, List<PreferencePair> pairs) {
        StringBuilder out = new StringBuilder();
        for (PreferencePair p : pairs) {
            out.append(json(p)).append('\n');
        }
        AtomicFiles.write(pageFile(roundDir, page), out.toString());
    }

    @Override
    public DpoPairsFile assemblePairs(String roundDir, int pages) {
        Path target = Path.of(roundDir).resolve(PAIRS_FILE);
        long rows = 0;
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "." + PAIRS_FILE, ".tmp");
            try {
                try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                    for (int page = 0; page < pages; page++) {
                        try (BufferedReader r = Files.newBufferedReader(pageFile(roundDir, page), StandardCharsets.UTF_8)) {
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
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        return new DpoPairsFile(target.toAbsolutePath().toString(), rows);
    }

    @Override
    public void recordRound(String roundDir, DpoRoundResult result) {
        try {
            AtomicFiles.write(Path.of(roundDir).resolve(ROUND_FILE),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public DpoRoundResult readRound(String roundDir) {
        Path file = Path.of(roundDir).resolve(ROUND_FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readValue(file.toFile(), DpoRoundResult.class);
        } catch (IOException e) {
            throw ApplicationFailure.newNonRetryableFailure(file + " exists but cannot be read (" + e.getMessage()
                    + "); delete it to redo the round", FailureTypes.INVALID_CAMPAIGN_INPUT);
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
