package dev.autoif.activities.nli;

import dev.autoif.workflows.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's ONNX NLI judge for campaigns with {@code "consistency": "onnx"}: loaded from the configured model
 * directory on first use, then shared by every activity of the worker. A worker without a model, or with one that
 * cannot be loaded, fails those activities non-retryably ({@link FailureTypes#NLI_MODEL_UNAVAILABLE}, fatal for the
 * campaign) with a message saying what to fix. A failed load is not remembered: a fixed directory is picked up by the
 * next campaign without restarting the worker.
 */
public final class OnnxJudgeProvider implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OnnxJudgeProvider.class);
    public static final String ENV = "AUTOIF_NLI_MODEL_DIR";

    private final Path modelDir;
    private OnnxEntailmentJudge judge;

    /** @param modelDir the directory holding model.onnx, tokenizer.json and config.json; null: no model */
    public OnnxJudgeProvider(Path modelDir) {
        this.modelDir = modelDir;
    }

    public static OnnxJudgeProvider none() {
        return new OnnxJudgeProvider(null);
    }

    public Path modelDir() {
        return modelDir;
    }

    /**
     * @throws ApplicationFailure non-retryable, {@link FailureTypes#NLI_MODEL_UNAVAILABLE}, when there is no usable
     *                            model
     */
    public synchronized OnnxEntailmentJudge judge() {
        if (judge != null) {
            return judge;
        }
        if (modelDir == null) {
            throw ApplicationFailure.newNonRetryableFailure("the campaign asks for the ONNX NLI judge (consistency "
                    + "\"onnx\") but this worker has no NLI model: set " + ENV + " (autoif.nli.model-dir) on the worker "
                    + "to a directory holding model.onnx, tokenizer.json and config.json (e.g. `optimum-cli export onnx "
                    + "--model MoritzLaurer/mDeBERTa-v3-base-xnli-multilingual-nli-2mil7 --task text-classification "
                    + "DIR`), or use consistency \"llm\"", FailureTypes.NLI_MODEL_UNAVAILABLE);
        }
        try {
            long start = System.nanoTime();
            judge = OnnxEntailmentJudge.load(modelDir);
            log.info("NLI model loaded from {} in {} ms", modelDir, (System.nanoTime() - start) / 1_000_000);
            return judge;
        } catch (NliModelException e) {
            throw ApplicationFailure.newNonRetryableFailure("the ONNX NLI judge cannot load its model (" + ENV + "="
                    + modelDir + "): " + e.getMessage(), FailureTypes.NLI_MODEL_UNAVAILABLE);
        }
    }

    @Override
    public synchronized void close() {
        if (judge != null) {
            judge.close();
            judge = null;
        }
    }
}
