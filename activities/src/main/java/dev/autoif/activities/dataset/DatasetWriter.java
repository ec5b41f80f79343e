package dev.autoif.activities.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.store.AtomicFiles;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.SftExample;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Writes the training sets in the formats LLaMA-Factory and TRL read, plus LLaMA-Factory's {@code dataset_info.json}
 * registry for them, so the output directory can be used as LLaMA-Factory's {@code dataset_dir} as is:
 * <ul>
 *   <li>{@value #SFT_ALPACA}: LLaMA-Factory alpaca, a JSON array of {@code {instruction, input: "", output, history: []}}
 *       (the reference's own S9 format)</li>
 *   <li>{@value #SFT_MESSAGES}: OpenAI chat JSONL, {@code {"messages": [{role: user}, {role: assistant}]}}</li>
 *   <li>{@value #SFT_SHAREGPT}: ShareGPT JSONL, {@code {"conversations": [{from: human}, {from: gpt}]}}</li>
 *   <li>{@value #DPO_TRL}: TRL's standard preference format, {@code {prompt, chosen, rejected}} strings</li>
 *   <li>{@value #DPO_LLAMAFACTORY}: LLaMA-Factory pairwise alpaca, a JSON array of
 *       {@code {instruction, input: "", chosen, rejected}}</li>
 * </ul>
 * Rows keep the order they are given in. Every file is written whole and atomically (temp file, then rename), with
 * fixed key order, UTF-8 without escaping and "\n" line ends, so the same input gives the same bytes.
 * {@value #DATASET_INFO} is written last, so a reader that finds it finds the files it names.
 */
public final class DatasetWriter {
    public static final String SFT_ALPACA = "sft_alpaca.json";
    public static final String SFT_MESSAGES = "sft_messages.jsonl";
    public static final String SFT_SHAREGPT = "sft_sharegpt.jsonl";
    public static final String DPO_TRL = "dpo_trl.jsonl";
    public static final String DPO_LLAMAFACTORY = "dpo_llamafactory.json";
    public static final String DATASET_INFO = "dataset_info.json";

    /** The names the files are registered under in {@value #DATASET_INFO} (LLaMA-Factory's {@code dataset:}). */
    public static final String INFO_SFT_ALPACA = "autoif_sft_alpaca";
    public static final String INFO_SFT_MESSAGES = "autoif_sft_messages";
    public static final String INFO_SFT_SHAREGPT = "autoif_sft_sharegpt";
    public static final String INFO_DPO = "autoif_dpo";

    /** One written file: its name, what it is, how many rows, and its LLaMA-Factory name (null if unregistered). */
    public record DatasetFile(String fileName, String format, int rows, String datasetInfoName) {}

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final ObjectMapper json = new ObjectMapper();
    private final ObjectWriter compact = json.writer();
    /** Two-space indent, {@code "key": value}, {@code []} for an empty array: what {@code json.dump(indent=2)} writes. */
    private final ObjectWriter pretty = json.writer(new DefaultPrettyPrinter(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withArrayEmptySeparator("")
                    .withObjectEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    /** Writes all six files into {@code dir} (created if missing) and returns the five data files, in order. */
    public List<DatasetFile> write(Path dir, List<SftExample> sft, List<PreferencePair> pairs) {
        Objects.requireNonNull(sft, "sft");
        Objects.requireNonNull(pairs, "pairs");
        List<DatasetFile> files = new ArrayList<>();

        files.add(writeArray(dir, SFT_ALPACA, "LLaMA-Factory alpaca (SFT)", INFO_SFT_ALPACA, sft, e -> {
            ObjectNode row = NODES.objectNode();
            row.put("instruction", text(e.prompt(), "prompt"));
            row.put("input", "");
            row.put("output", text(e.response(), "response"));
            row.putArray("history");
            return row;
        }));
        files.add(writeLines(dir, SFT_MESSAGES, "OpenAI messages JSONL (SFT)", INFO_SFT_MESSAGES, sft, e -> {
            ObjectNode row = NODES.objectNode();
            ArrayNode messages = row.putArray("messages");
            messages.addObject().put("role", "user").put("content", text(e.prompt(), "prompt"));
            messages.addObject().put("role", "assistant").put("content", text(e.response(), "response"));
            return row;
        }));
        files.add(writeLines(dir, SFT_SHAREGPT, "ShareGPT JSONL (SFT)", INFO_SFT_SHAREGPT, sft, e -> {
            ObjectNode row = NODES.objectNode();
            ArrayNode turns = row.putArray("conversations");
            turns.addObject().put("from", "human").put("value", text(e.prompt(), "prompt"));
            turns.addObject().put("from", "gpt").put("value", text(e.response(), "response"));
            return row;
        }));
        files.add(writeLines(dir, DPO_TRL, "TRL preference JSONL (DPO)", null, pairs, p -> {
            ObjectNode row = NODES.objectNode();
            row.put("prompt", text(p.prompt(), "prompt"));
            row.put("chosen", text(p.chosen(), "chosen"));
            row.put("rejected", text(p.rejected(), "rejected"));
            return row;
        }));
        files.add(writeArray(dir, DPO_LLAMAFACTORY, "LLaMA-Factory pairwise alpaca (DPO)", INFO_DPO, pairs, p -> {
            ObjectNode row = NODES.objectNode();
            row.put("instruction", text(p.prompt(), "prompt"));
            row.put("input", "");
            row.put("chosen", text(p.chosen(), "chosen"));
            row.put("rejected", text(p.rejected(), "rejected"));
            return row;
        }));
        AtomicFiles.write(dir.resolve(DATASET_INFO), serialize(pretty, datasetInfo()) + "\n");
        return files;
    }

    /**
     * LLaMA-Factory's registry entries (data/README.md of hiyouga/LLaMA-Factory): alpaca columns
     * prompt/query/response/history, {@code "ranking": true} for the pairwise file, and for the two chat files
     * {@code "formatting": "sharegpt"} with their message column and, for OpenAI messages, the role/content tags.
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

    private <T> DatasetFile writeArray(Path dir, String name, String format, String infoName, List<T> rows,
                                       Function<T, ObjectNode> toRow) {
        ArrayNode array = NODES.arrayNode();
        rows.forEach(r -> array.add(toRow.apply(r)));
        AtomicFiles.write(dir.resolve(name), serialize(pretty, array) + "\n");
        return new DatasetFile(name, format, rows.size(), infoName);
    }

    private <T> DatasetFile writeLines(Path dir, String name, String format, String infoName, List<T> rows,
                                       Function<T, ObjectNode> toRow) {
        StringBuilder out = new StringBuilder();
        rows.forEach(r -> out.append(serialize(compact, toRow.apply(r))).append('\n'));
        AtomicFiles.write(dir.resolve(name), out.toString());
        return new DatasetFile(name, format, rows.size(), infoName);
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
