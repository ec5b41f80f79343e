package dev.autoif.activities.nli;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.workflows.activities.llm.NliLabel;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An {@link EntailmentJudge} that runs a sequence-classification NLI model in ONNX Runtime — the reference's
 * {@code MoritzLaurer/mDeBERTa-v3-base-xnli-multilingual-nli-2mil7}, or any model exported the same way. The model
 * directory holds what Hugging Face optimum writes:
 * <ul>
 *   <li>{@value #MODEL_FILE}: inputs {@code input_ids} and {@code attention_mask} (int64 [batch, sequence]), plus
 *       {@code token_type_ids} only when the model declares it; output {@code logits} (float [batch, 3]);</li>
 *   <li>{@value #TOKENIZER_FILE}: the Hugging Face fast tokenizer; (premise, hypothesis) is encoded as a pair with
 *       the model's special tokens, truncated longest-first to {@code max_position_embeddings} (default 512);</li>
 *   <li>{@value #CONFIG_FILE}: its {@code id2label} names which logit is entailment, neutral and contradiction (any
 *       case, any order; labels that are not exactly these three are refused).</li>
 * </ul>
 * Export the reference model with
 * <pre>
 * pip install "optimum[onnxruntime]"
 * optimum-cli export onnx --model MoritzLaurer/mDeBERTa-v3-base-xnli-multilingual-nli-2mil7 \
 *     --task text-classification /models/mdeberta-xnli
 * </pre>
 * and point the worker at the directory ({@code AUTOIF_NLI_MODEL_DIR=/models/mdeberta-xnli}). The label is the
 * argmax of the softmax; the verdict's note gives the three probabilities.
 *
 * <p>Thread-safe: the tokenizer and the ONNX Runtime session are shared by concurrent activities; load one judge
 * per worker (see {@link OnnxJudgeProvider}). {@link #judgeAll} runs the pairs of one request as one batch.
 */
public final class OnnxEntailmentJudge implements EntailmentJudge, AutoCloseable {
    public static final String MODEL_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String CONFIG_FILE = "config.json";
    public static final List<String> FILES = List.of(MODEL_FILE, TOKENIZER_FILE, CONFIG_FILE);

    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String TOKEN_TYPE_IDS = "token_type_ids";
    static final String LOGITS = "logits";
    /** Pairs per ONNX Runtime call: bounds the memory of one S5 request with many hypotheses. */
    static final int MAX_BATCH = 16;
    static final int DEFAULT_MAX_LENGTH = 512;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final HuggingFaceTokenizer tokenizer;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final boolean feedsTokenTypeIds;
    private final String output;
    /** The label of each logit index. */
    private final NliLabel[] labels;
    private final long padId;

    private OnnxEntailmentJudge(Path dir, HuggingFaceTokenizer tokenizer, OrtEnvironment env, OrtSession session,
                                boolean feedsTokenTypeIds, String output, NliLabel[] labels, long padId) {
        this.dir = dir;
        this.tokenizer = tokenizer;
        this.env = env;
        this.session = session;
        this.feedsTokenTypeIds = feedsTokenTypeIds;
        this.output = output;
        this.labels = labels;
        this.padId = padId;
    }

    /**
     * The three files a model directory must hold; throws naming the directory and every missing file.
     *
     * @throws NliModelException when {@code dir} is not a directory or lacks a file
     */
    public static void checkFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new NliModelException("NLI model directory " + dir + " does not exist or is not a directory");
        }
        List<String> missing = FILES.stream().filter(f -> !Files.isRegularFile(dir.resolve(f))).toList();
        if (!missing.isEmpty()) {
            throw new NliModelException("NLI model directory " + dir + " lacks " + String.join(", ", missing)
                    + " (it needs " + String.join(" + ", FILES) + ", as `optimum-cli export onnx --task "
                    + "text-classification` writes them)");
        }
    }

    /**
     * Loads the model, tokenizer and labels of {@code dir}.
     *
     * @throws NliModelException naming what is missing or wrong
     */
    public static OnnxEntailmentJudge load(Path dir) {
        checkFiles(dir);
        JsonNode config;
        try {
            config = JSON.readTree(dir.resolve(CONFIG_FILE).toFile());
        } catch (IOException e) {
            throw new NliModelException(dir.resolve(CONFIG_FILE) + " is not valid JSON: " + e.getMessage(), e);
        }
        NliLabel[] labels = labels(dir.resolve(CONFIG_FILE), config);
        int maxLength = config.path("max_position_embeddings").asInt(DEFAULT_MAX_LENGTH);
        if (maxLength <= 2 || maxLength > DEFAULT_MAX_LENGTH) {
            maxLength = DEFAULT_MAX_LENGTH;
        }
        long padId = config.path("pad_token_id").asLong(0);

        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve(TOKENIZER_FILE), Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "true", // longest first
                    "padding", "false",
                    "maxLength", Integer.toString(maxLength)));
        } catch (IOException | RuntimeException e) {
            throw new NliModelException("cannot load the tokenizer " + dir.resolve(TOKENIZER_FILE) + ": " + e.getMessage(), e);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        try {
            session = env.createSession(dir.resolve(MODEL_FILE).toString(), new OrtSession.SessionOptions());
            Set<String> inputs = session.getInputNames();
            for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
                if (!inputs.contains(required)) {
                    throw new NliModelException(dir.resolve(MODEL_FILE) + " has no input '" + required + "' (inputs: "
                            + inputs + "); export a text-classification model with optimum");
                }
            }
            List<String> unknown = inputs.stream()
                    .filter(n -> !Set.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS).contains(n)).sorted().toList();
            if (!unknown.isEmpty()) {
                throw new NliModelException(dir.resolve(MODEL_FILE) + " wants inputs the judge cannot give: " + unknown);
            }
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            String output = outputs.containsKey(LOGITS) ? LOGITS
                    : outputs.size() == 1 ? outputs.keySet().iterator().next() : null;
            if (output == null) {
                throw new NliModelException(dir.resolve(MODEL_FILE) + " has no output 'logits' (outputs: "
                        + outputs.keySet() + ")");
            }
            if (outputs.get(output).getInfo() instanceof TensorInfo t) {
                long[] shape = t.getShape();
                if (shape.length != 2 || (shape[1] > 0 && shape[1] != 3)) {
                    throw new NliModelException(dir.resolve(MODEL_FILE) + " output '" + output + "' has shape "
                            + Arrays.toString(shape) + ", not [batch, 3]: not a 3-way NLI classifier");
                }
            }
            return new OnnxEntailmentJudge(dir, tokenizer, env, session, inputs.contains(TOKEN_TYPE_IDS), output,
                    labels, padId);
        } catch (OrtException | RuntimeException e) {
            tokenizer.close();
            if (session != null) {
                try {
                    session.close();
                } catch (OrtException ignored) {
                    // already failing
                }
            }
            if (e instanceof NliModelException n) {
                throw n;
            }
            throw new NliModelException("cannot load the ONNX model " + dir.resolve(MODEL_FILE) + ": " + e.getMessage(), e);
        }
    }

    /** config.json's id2label as one label per logit index; exactly the three NLI labels, any case. */
    static NliLabel[] labels(Path file, JsonNode config) {
        JsonNode id2label = config.path("id2label");
        if (!id2label.isObject() || id2label.isEmpty()) {
            throw new NliModelException(file + " has no id2label: cannot tell which logit is entailment, neutral "
                    + "and contradiction");
        }
        Map<Integer, String> byIndex = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = id2label.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                byIndex.put(Integer.parseInt(e.getKey().strip()), e.getValue().asText());
            } catch (NumberFormatException nfe) {
                throw new NliModelException(file + " id2label key '" + e.getKey() + "' is not an index");
            }
        }
        String shown = "id2label " + byIndex;
        if (!byIndex.keySet().equals(Set.of(0, 1, 2))) {
            throw new NliModelException(file + " " + shown + " is not an NLI model's: want exactly the indices 0, 1, 2 "
                    + "labelled entailment, neutral and contradiction");
        }
        NliLabel[] labels = new NliLabel[3];
        Map<NliLabel, Integer> seen = new HashMap<>();
        for (Map.Entry<Integer, String> e : byIndex.entrySet()) {
            NliLabel label = switch (e.getValue().strip().toLowerCase(Locale.ROOT)) {
                case "entailment" -> NliLabel.ENTAILMENT;
                case "neutral" -> NliLabel.NEUTRAL;
                case "contradiction" -> NliLabel.CONTRADICTION;
                default -> throw new NliModelException(file + " " + shown + " is not an NLI model's: label '"
                        + e.getValue() + "' is none of entailment, neutral, contradiction");
            };
            if (seen.put(label, e.getKey()) != null) {
                throw new NliModelException(file + " " + shown + " is not an NLI model's: " + label.name().toLowerCase(Locale.ROOT)
                        + " appears twice");
            }
            labels[e.getKey()] = label;
        }
        return labels;
    }

    @Override
    public Verdict judge(String premise, String hypothesis) {
        return judgeAll(premise, List.of(hypothesis)).get(0);
    }

    @Override
    public List<Verdict> judgeAll(String premise, List<String> hypotheses) {
        List<Verdict> verdicts = new ArrayList<>(hypotheses.size());
        for (int from = 0; from < hypotheses.size(); from += MAX_BATCH) {
            verdicts.addAll(batch(premise, hypotheses.subList(from, Math.min(hypotheses.size(), from + MAX_BATCH))));
        }
        return verdicts;
    }

    private List<Verdict> batch(String premise, List<String> hypotheses) {
        PairList<String, String> pairs = new PairList<>(hypotheses.size());
        for (String h : hypotheses) {
            pairs.add(premise, h);
        }
        Encoding[] encodings = tokenizer.batchEncode(pairs);
        int n = encodings.length;
        int length = 1;
        for (Encoding e : encodings) {
            length = Math.max(length, e.getIds().length);
        }
        long[] ids = new long[n * length];
        long[] mask = new long[n * length];
        long[] types = new long[n * length];
        Arrays.fill(ids, padId);
        for (int i = 0; i < n; i++) {
            long[] e = encodings[i].getIds();
            System.arraycopy(e, 0, ids, i * length, e.length);
            System.arraycopy(encodings[i].getAttentionMask(), 0, mask, i * length, e.length);
            System.arraycopy(encodings[i].getTypeIds(), 0, types, i * length, e.length);
        }
        long[] shape = {n, length};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put(INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            inputs.put(ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (feedsTokenTypeIds) {
                inputs.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                OnnxValue value = result.get(output).orElseThrow();
                if (!(value.getValue() instanceof float[][] logits) || logits.length != n) {
                    throw new NliModelException(dir.resolve(MODEL_FILE) + " output '" + output
                            + "' is not float logits [batch, 3]");
                }
                List<Verdict> verdicts = new ArrayList<>(n);
                for (float[] row : logits) {
                    verdicts.add(verdict(row));
                }
                return verdicts;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + dir.resolve(MODEL_FILE) + ": " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private Verdict verdict(float[] logits) {
        if (logits.length != 3) {
            throw new NliModelException(dir.resolve(MODEL_FILE) + " gave " + logits.length + " logits, not 3");
        }
        double max = Math.max(logits[0], Math.max(logits[1], logits[2]));
        double[] p = new double[3];
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        int best = 0;
        for (int i = 0; i < 3; i++) {
            p[i] /= sum;
            if (p[i] > p[best]) {
                best = i;
            }
        }
        double[] byLabel = new double[3];
        for (int i = 0; i < 3; i++) {
            byLabel[labels[i].ordinal()] = p[i];
        }
        return new Verdict(labels[best], String.format(Locale.ROOT, "NLI model: entailment %.3f, neutral %.3f, "
                + "contradiction %.3f", byLabel[NliLabel.ENTAILMENT.ordinal()], byLabel[NliLabel.NEUTRAL.ordinal()],
                byLabel[NliLabel.CONTRADICTION.ordinal()]));
    }

    @Override
    public void close() {
        tokenizer.close();
        try {
            session.close();
        } catch (OrtException e) {
            // nothing left to release
        }
    }
}
