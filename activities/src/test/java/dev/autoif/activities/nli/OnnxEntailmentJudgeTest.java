package dev.autoif.activities.nli;

import static dev.autoif.activities.nli.TinyNliModel.CONTRADICTING;
import static dev.autoif.activities.nli.TinyNliModel.ENTAILED;
import static dev.autoif.activities.nli.TinyNliModel.NEUTRAL;
import static dev.autoif.activities.nli.TinyNliModel.PREMISE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.nli.EntailmentJudge.Verdict;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.activities.llm.LlmActivitiesImpl;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.activities.llm.ConsistencyJudgements;
import dev.autoif.workflows.activities.llm.ConsistencyRequest;
import dev.autoif.workflows.activities.llm.NliJudgement;
import dev.autoif.workflows.activities.llm.NliLabel;
import dev.autoif.workflows.activities.llm.ConsistencyMode;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX NLI judge on a real, tiny ONNX model built by nli/make_tiny_nli.py (a bag of words whose config.json lists
 * the labels as 0 NEUTRAL, 1 Contradiction, 2 entailment): labels, the id2label mapping, batching, token_type_ids, and
 * the errors a user sees for a bad model directory.
 */
@Tag("python")
class OnnxEntailmentJudgeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> HYPOTHESES = List.of(ENTAILED, CONTRADICTING, NEUTRAL);
    static final List<NliLabel> EXPECTED = List.of(NliLabel.ENTAILMENT, NliLabel.CONTRADICTION, NliLabel.NEUTRAL);

    static Path models;
    static Path tiny;
    static Path typed;
    static OnnxEntailmentJudge judge;

    @BeforeAll
    static void buildModels() throws Exception {
        models = Files.createTempDirectory("autoif-tiny-nli");
        tiny = TinyNliModel.build(models, "tiny", false);
        typed = TinyNliModel.build(models, "typed", true);
        judge = OnnxEntailmentJudge.load(tiny);
    }

    @AfterAll
    static void close() {
        if (judge != null) judge.close();
    }

    @Test
    void labelsThreeKnownPairsOneByOneAndAsOneBatch() {
        for (int i = 0; i < HYPOTHESES.size(); i++) {
            Verdict v = judge.judge(PREMISE, HYPOTHESES.get(i));
            assertEquals(EXPECTED.get(i), v.label(), HYPOTHESES.get(i) + ": " + v.note());
            assertTrue(v.note().matches("NLI model: entailment 0\\.\\d{3}, neutral 0\\.\\d{3}, contradiction [01]\\.\\d{3}"),
                    v.note());
        }
        // Different lengths in one batch: padding must not change a verdict.
        List<Verdict> batch = judge.judgeAll(PREMISE, List.of(NEUTRAL, ENTAILED, CONTRADICTING, "Do not answer in English "
                + "and use a title.", ENTAILED));
        assertEquals(List.of(NliLabel.NEUTRAL, NliLabel.ENTAILMENT, NliLabel.CONTRADICTION, NliLabel.CONTRADICTION, NliLabel.ENTAILMENT),
                batch.stream().map(Verdict::label).toList());
        assertEquals(batch.get(1), judge.judge(PREMISE, ENTAILED), "batched and single runs agree, probabilities too");
        // Contradiction: logits (neutral 3, contradiction 20, entailment 6) -> p(contradiction) ~ 1.
        assertTrue(batch.get(2).note().endsWith("contradiction 1.000"), batch.get(2).note());
    }

    @Test
    void moreHypothesesThanOneBatchKeepTheirOrder() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < OnnxEntailmentJudge.MAX_BATCH * 2 + 3; i++) many.add(HYPOTHESES.get(i % 3));
        List<NliLabel> labels = judge.judgeAll(PREMISE, many).stream().map(Verdict::label).toList();
        for (int i = 0; i < many.size(); i++) assertEquals(EXPECTED.get(i % 3), labels.get(i), "hypothesis " + i);
    }

    @Test
    void concurrentCallersShareOneSession() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Verdict>>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                futures.add(pool.submit((Callable<List<Verdict>>) () -> judge.judgeAll(PREMISE, HYPOTHESES)));
            }
            for (Future<List<Verdict>> f : futures) {
                assertEquals(EXPECTED, f.get().stream().map(Verdict::label).toList());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A model that declares token_type_ids gets them: this one counts only the hypothesis segment. */
    @Test
    void feedsTokenTypeIdsWhenTheModelDeclaresThem() {
        try (OnnxEntailmentJudge typedJudge = OnnxEntailmentJudge.load(typed)) {
            List<Verdict> verdicts = typedJudge.judgeAll(PREMISE, HYPOTHESES);
            assertEquals(EXPECTED, verdicts.stream().map(Verdict::label).toList());
            // Only the hypothesis counts: "Answer in English." alone gives entailment logit 3, not 6.
            Verdict alone = judge.judge(PREMISE, ENTAILED);
            assertFalse(alone.note().equals(verdicts.get(0).note()), alone.note() + " vs " + verdicts.get(0).note());
        }
    }

    /** The labels come from config.json: the same logits under the usual order read differently. */
    @Test
    void theLabelOrderIsReadFromConfigJson() throws IOException {
        Path relabelled = copy(tiny, models.resolve("relabelled"), null);
        ObjectNode config = (ObjectNode) JSON.readTree(relabelled.resolve("config.json").toFile());
        config.set("id2label", JSON.valueToTree(Map.of("0", "ENTAILMENT", "1", "NEUTRAL", "2", "CONTRADICTION")));
        Files.writeString(relabelled.resolve("config.json"), JSON.writeValueAsString(config));
        try (OnnxEntailmentJudge other = OnnxEntailmentJudge.load(relabelled)) {
            // Logit 0 (the tiny model's neutral votes) now reads as entailment, logit 1 as neutral, logit 2 as
            // contradiction.
            assertEquals(List.of(NliLabel.CONTRADICTION, NliLabel.NEUTRAL, NliLabel.ENTAILMENT),
                    other.judgeAll(PREMISE, HYPOTHESES).stream().map(Verdict::label).toList());
        }
    }

    @Test
    void aDirectoryMissingAFileFailsNamingIt(@TempDir Path tmp) throws IOException {
        for (String file : OnnxEntailmentJudge.FILES) {
            Path dir = copy(tiny, tmp.resolve("without-" + file), file);
            NliModelException e = assertThrows(NliModelException.class, () -> OnnxEntailmentJudge.load(dir));
            assertTrue(e.getMessage().contains("lacks " + file), e.getMessage());
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        }
        NliModelException e = assertThrows(NliModelException.class,
                () -> OnnxEntailmentJudge.load(tmp.resolve("no-such-dir")));
        assertTrue(e.getMessage().contains("no-such-dir") && e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void labelsThatAreNotTheThreeNliOnesFailClearly(@TempDir Path tmp) throws IOException {
        List<Map<String, String>> bad = List.of(
                Map.of("0", "LABEL_0", "1", "LABEL_1", "2", "LABEL_2"),
                Map.of("0", "negative", "1", "positive"),
                Map.of("0", "entailment", "1", "entailment", "2", "contradiction"),
                Map.of("0", "entailment", "1", "neutral", "3", "contradiction"));
        int n = 0;
        for (Map<String, String> id2label : bad) {
            Path dir = copy(tiny, tmp.resolve("bad" + n++), null);
            ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
            config.set("id2label", JSON.valueToTree(id2label));
            Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config));
            NliModelException e = assertThrows(NliModelException.class, () -> OnnxEntailmentJudge.load(dir));
            assertTrue(e.getMessage().contains("is not an NLI model's") && e.getMessage().contains("config.json"),
                    e.getMessage());
        }
        Path none = copy(tiny, tmp.resolve("no-id2label"), null);
        Files.writeString(none.resolve("config.json"), "{\"model_type\": \"tiny-nli\"}");
        NliModelException e = assertThrows(NliModelException.class, () -> OnnxEntailmentJudge.load(none));
        assertTrue(e.getMessage().contains("has no id2label"), e.getMessage());
    }

    /** The activity: "onnx" judges with the worker's model, each distinct hypothesis once, and books no LLM usage. */
    @Test
    void theActivityJudgesWithTheWorkersModelAndBooksNoUsage() {
        try (OnnxJudgeProvider provider = new OnnxJudgeProvider(tiny)) {
            LlmActivitiesImpl activities = new LlmActivitiesImpl(null, null, provider, ArtifactStores.filesystemOnly());
            ConsistencyJudgements out = activities.judgeConsistency(new ConsistencyRequest("c", ConsistencyMode.ONNX,
                    PREMISE, List.of(CONTRADICTING, ENTAILED, CONTRADICTING, NEUTRAL), null));
            assertEquals(List.of(NliLabel.CONTRADICTION, NliLabel.ENTAILMENT, NliLabel.CONTRADICTION,
                    NliLabel.NEUTRAL), out.judgements().stream().map(NliJudgement::label).toList());
            assertEquals(List.of(CONTRADICTING, ENTAILED, CONTRADICTING, NEUTRAL),
                    out.judgements().stream().map(NliJudgement::hypothesis).toList());
            assertTrue(out.judgements().get(0).note().startsWith("NLI model: "), out.judgements().get(0).note());
            assertTrue(out.usage().isEmpty(), "no LLM usage: " + out.usage());
        }
    }

    @Test
    void theActivityWithoutAModelFailsNonRetryablyNamingTheSetting() {
        LlmActivitiesImpl activities = new LlmActivitiesImpl(null, null);
        ApplicationFailure e = assertThrows(ApplicationFailure.class, () -> activities.judgeConsistency(
                new ConsistencyRequest("c", ConsistencyMode.ONNX, PREMISE, List.of(NEUTRAL), null)));
        assertTrue(e.isNonRetryable());
        assertEquals(FailureTypes.NLI_MODEL_UNAVAILABLE, e.getType());
        assertTrue(FailureTypes.FATAL_FOR_CAMPAIGN.contains(e.getType()));
        assertTrue(e.getOriginalMessage().contains("set AUTOIF_NLI_MODEL_DIR"), e.getOriginalMessage());
    }

    @Test
    void theActivityWithABrokenModelDirectoryFailsNonRetryablyNamingTheFile(@TempDir Path tmp) throws IOException {
        Path dir = copy(tiny, tmp.resolve("broken"), "tokenizer.json");
        try (OnnxJudgeProvider provider = new OnnxJudgeProvider(dir)) {
            LlmActivitiesImpl activities = new LlmActivitiesImpl(null, null, provider, ArtifactStores.filesystemOnly());
            ApplicationFailure e = assertThrows(ApplicationFailure.class, () -> activities.judgeConsistency(
                    new ConsistencyRequest("c", ConsistencyMode.ONNX, PREMISE, List.of(NEUTRAL), null)));
            assertTrue(e.isNonRetryable());
            assertEquals(FailureTypes.NLI_MODEL_UNAVAILABLE, e.getType());
            assertTrue(e.getOriginalMessage().contains("AUTOIF_NLI_MODEL_DIR=" + dir)
                    && e.getOriginalMessage().contains("lacks tokenizer.json"), e.getOriginalMessage());
        }
    }

    @Test
    void anOnnxFileThatIsNotAModelFailsNamingIt(@TempDir Path tmp) throws IOException {
        Path dir = copy(tiny, tmp.resolve("garbage"), null);
        Files.writeString(dir.resolve("model.onnx"), "not a model");
        NliModelException e = assertThrows(NliModelException.class, () -> OnnxEntailmentJudge.load(dir));
        assertTrue(e.getMessage().contains("cannot load the ONNX model " + dir.resolve("model.onnx")), e.getMessage());
        assertInstanceOf(ai.onnxruntime.OrtException.class, e.getCause());
    }

    static Path copy(Path from, Path to, String except) throws IOException {
        Files.createDirectories(to);
        for (String file : OnnxEntailmentJudge.FILES) {
            if (!file.equals(except)) Files.copy(from.resolve(file), to.resolve(file));
        }
        return to;
    }
}
