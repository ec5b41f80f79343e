package dev.autoif.activities.dataset;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStore.ArtifactOutput;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.SftExample;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Writes the training sets in the formats LLaMA-Factory and TRL read, plus LLaMA-Factory's {@code dataset_info.json}
 * registry for them, so the output directory can be used as LLaMA-Factory's {@code dataset_dir} as is. Each dataset is
 * a directory of parts ({@code sft_messages/part-00000.jsonl}, {@code part-00001.jsonl}, ...), streamed row by row:
 * <ul>
 *   <li>{@value #SFT_ALPACA}/*.json: LLaMA-Factory alpaca, each part a JSON array of
 *       {@code {instruction, input: "", output, history: []}} (the reference's own S9 format)</li>
 *   <li>{@value #SFT_MESSAGES}/*.jsonl: OpenAI chat JSONL, {@code {"messages": [{role: user}, {role: assistant}]}}</li>
 *   <li>{@value #SFT_SHAREGPT}/*.jsonl: ShareGPT JSONL, {@code {"conversations": [{from: human}, {from: gpt}]}}</li>
 *   <li>{@value #DPO_TRL}/*.jsonl: TRL's standard preference format, {@code {prompt, chosen, rejected}} strings</li>
 *   <li>{@value #DPO_LLAMAFACTORY}/*.json: LLaMA-Factory pairwise alpaca, each part a JSON array of
 *       {@code {instruction, input: "", chosen, rejected}}</li>
 * </ul>
 * Rows keep the order they are given in; a part holds at most {@link PartLimits#maxRows()} rows and is closed once it
 * reaches {@link PartLimits#maxBytes()}, so the JSONL parts concatenated are the whole file, byte for byte. Every
 * part is written all-or-nothing with fixed key order, UTF-8 without escaping and "\n" line ends, so the same input
 * gives the same bytes. LLaMA-Factory's {@code file_name} names the directory (it loads every file in it); TRL users
 * load {@code data_files="sft_messages/*.jsonl"}. {@value #PARTS} lists the parts (object stores are not listed), and
 * {@value #DATASET_INFO} is written last, so a reader that finds it finds the parts it names.
 *
 * <p>Memory: one row and one generator buffer per dataset; nothing grows with the number of rows.
 */
public final class DatasetWriter {
    public static final String SFT_ALPACA = "sft_alpaca";
    public static final String SFT_MESSAGES = "sft_messages";
    public static final String SFT_SHAREGPT = "sft_sharegpt";
    public static final String DPO_TRL = "dpo_trl";
    public static final String DPO_LLAMAFACTORY = "dpo_llamafactory";
    public static final String DATASET_INFO = "dataset_info.json";
    /** {"sft_messages": ["sft_messages/part-00000.jsonl", ...], ...}: every part key, for readers that cannot list. */
    public static final String PARTS = "dataset_parts.json";

    /** The names the datasets are registered under in {@value #DATASET_INFO} (LLaMA-Factory's {@code dataset:}). */
    public static final String INFO_SFT_ALPACA = "autoif_sft_alpaca";
    public static final String INFO_SFT_MESSAGES = "autoif_sft_messages";
    public static final String INFO_SFT_SHAREGPT = "autoif_sft_sharegpt";
    public static final String INFO_DPO = "autoif_dpo";

    /** How large a part may grow: at most {@code maxRows} rows; a part is closed once it holds {@code maxBytes}. */
    public record PartLimits(int maxRows, long maxBytes) {
        /** Parts a trainer's loader and an object store handle comfortably. */
        public static final PartLimits DEFAULT = new PartLimits(100_000, 256L << 20);

        public PartLimits {
            if (maxRows < 1 || maxBytes < 1) {
                throw new IllegalArgumentException("part limits must be positive: " + maxRows + " rows, " + maxBytes + " bytes");
            }
        }
    }

    /**
     * One written dataset: its directory, what it is, how many rows, its LLaMA-Factory name (null if unregistered)
     * and its part keys, in row order.
     */
    public record DatasetFile(String name, String format, long rows, String datasetInfoName, List<String> parts) {
        /** The pattern {@code datasets.load_dataset("json", data_files=...)} takes, relative to the campaign. */
        public String glob() {
            return name + "/*" + extension(parts.get(0));
        }

        private static String extension(String key) {
            return key.substring(key.lastIndexOf('.'));
        }
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Characters outside the BMP (emoji) as UTF-8, as a String written out would have them, not as \\u escapes. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    private static final ObjectWriter COMPACT = JSON.writer();
    /** Two-space indent, {@code "key": value}, {@code []} for an empty array: what {@code json.dump(indent=2)} writes. */
    private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withArrayEmptySeparator("")
                    .withObjectEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private final PartLimits limits;

    public DatasetWriter() {
        this(PartLimits.DEFAULT);
    }

    public DatasetWriter(PartLimits limits) {
        this.limits = limits;
    }

    /** Writes all five datasets and the registry into {@code dir} at once; see {@link #open}. */
    public List<DatasetFile> write(Path dir, List<SftExample> sft, List<PreferencePair> pairs) {
        Objects.requireNonNull(sft, "sft");
        Objects.requireNonNull(pairs, "pairs");
        try (Sink sink = open(ArtifactStores.filesystemOnly().open(dir.toString()))) {
            sft.forEach(sink::sft);
            pairs.forEach(sink::pair);
            return sink.finish();
        }
    }

    /** Starts streaming the datasets into {@code store}; nothing is visible before each part is committed. */
    public Sink open(ArtifactStore store) {
        return open(store, Map.of());
    }

    /**
     * Like {@link #open(ArtifactStore)}, after an attempt that committed the first {@code committedParts} parts of each
     * dataset (by name) from the same rows with the same limits: those parts are the bytes this one would write, so
     * their rows are counted and not written again.
     */
    public Sink open(ArtifactStore store, Map<String, Integer> committedParts) {
        return new Sink(store, committedParts);
    }

    public PartLimits limits() {
        return limits;
    }

    /** The part keys of {@code dataset} as the last export listed them in {@value #PARTS}; empty if none. */
    public static List<String> parts(ArtifactStore store, String dataset) {
        JsonNode manifest = store.find(PARTS).map(DatasetWriter::tree).orElse(NODES.objectNode());
        List<String> keys = new ArrayList<>();
        manifest.path(dataset).forEach(k -> keys.add(k.asText()));
        return keys;
    }

    /** The datasets being written: add rows in order, then {@link #finish()}; closing first discards the open parts. */
    public final class Sink implements AutoCloseable {
        private final ArtifactStore store;
        private final List<Parted<SftExample>> sftSets = new ArrayList<>();
        private final List<Parted<PreferencePair>> pairSets = new ArrayList<>();

        private Sink(ArtifactStore store, Map<String, Integer> committedParts) {
            this.store = store;
            sftSets.add(new Parted<>(store, committedParts, SFT_ALPACA, ".json", true, "LLaMA-Factory alpaca (SFT)", INFO_SFT_ALPACA, e -> {
                ObjectNode row = NODES.objectNode();
                row.put("instruction", text(e.prompt(), "prompt"));
                row.put("input", "");
                row.put("output", text(e.response(), "response"));
                row.putArray("history");
                return row;
            }));
            sftSets.add(new Parted<>(store, committedParts, SFT_MESSAGES, ".jsonl", false, "OpenAI messages JSONL (SFT)", INFO_SFT_MESSAGES, e -> {
                ObjectNode row = NODES.objectNode();
                ArrayNode messages = row.putArray("messages");
                messages.addObject().put("role", "user").put("content", text(e.prompt(), "prompt"));
                messages.addObject().put("role", "assistant").put("content", text(e.response(), "response"));
                return row;
            }));
            sftSets.add(new Parted<>(store, committedParts, SFT_SHAREGPT, ".jsonl", false, "ShareGPT JSONL (SFT)", INFO_SFT_SHAREGPT, e -> {
                ObjectNode row = NODES.objectNode();
                ArrayNode turns = row.putArray("conversations");
                turns.addObject().put("from", "human").put("value", text(e.prompt(), "prompt"));
                turns.addObject().put("from", "gpt").put("value", text(e.response(), "response"));
                return row;
            }));
            pairSets.add(new Parted<>(store, committedParts, DPO_TRL, ".jsonl", false, "TRL preference JSONL (DPO)", null, p -> {
                ObjectNode row = NODES.objectNode();
                row.put("prompt", text(p.prompt(), "prompt"));
                row.put("chosen", text(p.chosen(), "chosen"));
                row.put("rejected", text(p.rejected(), "rejected"));
                return row;
            }));
            pairSets.add(new Parted<>(store, committedParts, DPO_LLAMAFACTORY, ".json", true, "LLaMA-Factory pairwise alpaca (DPO)", INFO_DPO, p -> {
                ObjectNode row = NODES.objectNode();
                row.put("instruction", text(p.prompt(), "prompt"));
                row.put("input", "");
                row.put("chosen", text(p.chosen(), "chosen"));
                row.put("rejected", text(p.rejected(), "rejected"));
                return row;
            }));
        }

        /** How many parts of each dataset are committed so far (by an earlier attempt or this one). */
        public Map<String, Integer> committedParts() {
            Map<String, Integer> committed = new TreeMap<>();
            allSets().forEach(set -> committed.put(set.name, set.written.size()));
            return committed;
        }

        public void sft(SftExample example) {
            sftSets.forEach(s -> s.add(example));
        }

        public void pair(PreferencePair pair) {
            pairSets.forEach(s -> s.add(pair));
        }

        /**
         * Commits the last parts, blanks the parts a previous, larger export left beyond them (a store write cannot
         * delete), then writes {@value #PARTS} and {@value #DATASET_INFO}; returns the five datasets, in order.
         */
        public List<DatasetFile> finish() {
            List<DatasetFile> files = new ArrayList<>();
            ObjectNode manifest = NODES.objectNode();
            for (Parted<?> set : allSets()) {
                DatasetFile file = set.finish(parts(store, set.name));
                files.add(file);
                ArrayNode keys = manifest.putArray(set.name);
                set.keys.forEach(keys::add);
            }
            store.writeString(PARTS, serialize(PRETTY, manifest) + "\n");
            store.writeString(DATASET_INFO, serialize(PRETTY, datasetInfo()) + "\n");
            return files;
        }

        private List<Parted<?>> allSets() {
            List<Parted<?>> all = new ArrayList<>(sftSets);
            all.addAll(pairSets);
            return all;
        }

        @Override
        public void close() {
            allSets().forEach(Parted::discard);
        }
    }

    /** One dataset's parts: rows go to the open part until it is full, then the next one starts. */
    private final class Parted<T> {
        final ArtifactStore store;
        final String name;
        final String extension;
        final boolean jsonArray;
        final String format;
        final String infoName;
        final Function<T, ObjectNode> toRow;
        /** Every key written, in order; more than {@code written} when stale parts were blanked. */
        final List<String> keys = new ArrayList<>();
        final List<String> written = new ArrayList<>();
        long rows;
        ArtifactOutput out;
        CountingStream counted;
        JsonGenerator array;
        int rowsInPart;
        /** Parts an earlier attempt committed: their rows are counted, not written. */
        final int committedBefore;

        Parted(ArtifactStore store, Map<String, Integer> committedParts, String name, String extension, boolean jsonArray,
               String format, String infoName, Function<T, ObjectNode> toRow) {
            this.store = store;
            this.committedBefore = committedParts.getOrDefault(name, 0);
            this.name = name;
            this.extension = extension;
            this.jsonArray = jsonArray;
            this.format = format;
            this.infoName = infoName;
            this.toRow = toRow;
        }

        void add(T value) {
            ObjectNode row = toRow.apply(value);
            try {
                if (out != null && (rowsInPart >= limits.maxRows() || counted.count >= limits.maxBytes())) {
                    commitPart();
                }
                if (out == null) {
                    startPart();
                }
                if (jsonArray) {
                    array.writeTree(row); // through the generator's own printer, which knows the nesting
                    array.flush(); // into the counter (not to the store: FLUSH_PASSED_TO_STREAM is off)
                } else {
                    counted.write(COMPACT.writeValueAsBytes(row));
                    counted.write('\n');
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + store.location(partKey(written.size())) + ": "
                        + e.getMessage(), e);
            }
            rowsInPart++;
            rows++;
        }

        DatasetFile finish(List<String> previousKeys) {
            try {
                if (out == null) {
                    startPart(); // an empty dataset is one empty part: the directory and the glob always exist
                }
                commitPart();
                for (int i = written.size(); i < previousKeys.size(); i++) {
                    String stale = partKey(i);
                    store.writeString(stale, jsonArray ? "[]\n" : "");
                    keys.add(stale);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + store.location(partKey(written.size())) + ": "
                        + e.getMessage(), e);
            }
            return new DatasetFile(name, format, rows, infoName, List.copyOf(written));
        }

        private void startPart() throws IOException {
            String key = partKey(written.size());
            out = written.size() < committedBefore ? new AlreadyCommitted() : store.create(key);
            counted = new CountingStream(out);
            if (jsonArray) {
                array = PRETTY.createGenerator(counted).disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM)
                        .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                array.writeStartArray();
            }
            rowsInPart = 0;
        }

        private void commitPart() throws IOException {
            if (jsonArray) {
                array.writeEndArray();
                array.close();
                counted.write("\n".getBytes(StandardCharsets.UTF_8));
            }
            out.commit();
            out.close();
            String key = partKey(written.size());
            written.add(key);
            keys.add(key);
            out = null;
        }

        void discard() {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    // discarding an uncommitted part: nothing of it is visible either way
                }
                out = null;
            }
        }

        private String partKey(int index) {
            return String.format("%s/part-%05d%s", name, index, extension);
        }
    }

    /** A part an earlier attempt committed: its bytes are only counted, to end it where that attempt did. */
    private static final class AlreadyCommitted extends ArtifactOutput {
        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}

        @Override
        public void commit() {}

        @Override
        public void close() {}
    }

    /** Counts what passes through, to close a part at its byte limit. */
    private static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() {
            // the part is committed or discarded by its owner, never closed through the generator
        }
    }

    /**
     * LLaMA-Factory's registry entries (data/README.md of hiyouga/LLaMA-Factory): {@code file_name} is a directory of
     * parts ("the dataset folder or file in this directory"), alpaca columns prompt/query/response/history,
     * {@code "ranking": true} for the pairwise set, and for the two chat sets {@code "formatting": "sharegpt"} with
     * their message column and, for OpenAI messages, the role/content tags.
     */
    public static ObjectNode datasetInfo() {
        ObjectNode info = NODES.objectNode();
        ObjectNode alpaca = info.putObject(INFO_SFT_ALPACA);
        alpaca.put("file_name", SFT_ALPACA);
        alpaca.put("formatting", "alpaca");
        alpaca.putObject("columns").put("prompt", "instruction").put("query", "input").put("response", "output")
                .put("history", "history");

        ObjectNode messages = info.putObject(INFO_SFT_MESSAGES);
        messages.put("file_name", SFT_MESSAGES);
        messages.put("formatting", "sharegpt");
        messages.putObject("columns").put("messages", "messages");
        messages.putObject("tags").put("role_tag", "role").put("content_tag", "content").put("user_tag", "user")
                .put("assistant_tag", "assistant").put("system_tag", "system");

        ObjectNode sharegpt = info.putObject(INFO_SFT_SHAREGPT);
        sharegpt.put("file_name", SFT_SHAREGPT);
        sharegpt.put("formatting", "sharegpt");
        sharegpt.putObject("columns").put("messages", "conversations");
        sharegpt.putObject("tags").put("role_tag", "from").put("content_tag", "value").put("user_tag", "human")
                .put("assistant_tag", "gpt");

        ObjectNode dpo = info.putObject(INFO_DPO);
        dpo.put("file_name", DPO_LLAMAFACTORY);
        dpo.put("formatting", "alpaca");
        dpo.put("ranking", true);
        dpo.putObject("columns").put("prompt", "instruction").put("query", "input").put("chosen", "chosen")
                .put("rejected", "rejected");
        return info;
    }

    private static JsonNode tree(byte[] content) {
        try {
            return JSON.readTree(content);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + PARTS + ": " + e.getMessage(), e);
        }
    }

    private static String serialize(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(String value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("a dataset row has no " + field);
        }
        return value;
    }
}
