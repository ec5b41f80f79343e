package dev.autoif.worker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code autoif stage judge-filter} on rows in the reference's query_rft_score.jsonl format (written here). */
class JudgeFilterCommandTest {
    static String row(int id, String gen) {
        return "{\"instruction\": \"Restrict your answer to three sentences max\", \"query\": \"what is a caf\\u00e9?\", "
                + "\"response\": \"A small restaurant.\", \"prompt\": \"You are an expert ...\", \"beam_unique_id\": " + id
                + ", \"gen\": [" + gen + "], \"eval_args\": {}, \"end_reason\": null}";
    }

    static final String HIGH = row(1, "\"Concise and relevant.\\n\\nScore: 9\", \"Score: 10\"");
    static final String EIGHT = row(2, "\"Relevant but exceeds the limit.\\n\\nScore: 8\"");
    // The reference regex only reads a score at the very end; this one is followed by text, and in markdown.
    static final String NOT_AT_END = row(3, "\"**Score:** 9\\n\\nThe response follows the instruction.\"");
    static final String NO_SCORE = row(4, "\"I cannot judge this.\"");
    static final String ONE_UNSCORED = row(5, "\"Score: 10\", \"The analysis ends without a score.\"");

    @Test
    void keepsRowsWithMeanAboveEightUnchangedAndReportsMalformedLines(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("query_rft_score.jsonl");
        Path output = dir.resolve("query_score_filter.jsonl");
        Files.write(input, List.of(HIGH, EIGHT, NOT_AT_END, NO_SCORE, "{\"gen\": [\"Score: 9\"", "",
                "{\"instruction\": \"x\", \"query\": \"y\"}", "[1, 2]", ONE_UNSCORED), StandardCharsets.UTF_8);

        StageCli run = StageCli.run("stage", "judge-filter", "--input", input.toString(), "--preset", "reference",
                "--output", output.toString());

        assertEquals(0, run.exit(), run.out() + run.err());
        assertEquals(HIGH + "\n" + NOT_AT_END + "\n" + ONE_UNSCORED + "\n", Files.readString(output));
        assertTrue(run.err().startsWith("line 5: not JSON ("), run.err());
        assertTrue(run.err().contains("line 7: no 'gen' list of judge answers; skipped\n"), run.err());
        assertTrue(run.err().contains("line 8: not a JSON object; skipped\n"), run.err());
        assertEquals("""
                8 rows read (preset reference, keep mean judge score > 8): 3 kept, 5 dropped
                  dropped JUDGE_SCORE_NOT_ABOVE_8: 1
                  dropped MALFORMED_LINE: 3
                  dropped NO_JUDGE_SCORE: 1
                  judge answers left out of the mean, NO_SCORE: 2
                wrote %s
                """.formatted(output.toAbsolutePath()), run.out());
    }

    @Test
    void anUnknownPresetIsAUsageError(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.jsonl");
        Files.writeString(input, HIGH + "\n");
        StageCli run = StageCli.run("stage", "judge-filter", "--input", input.toString(), "--preset", "strict",
                "--output", dir.resolve("out.jsonl").toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("--preset: unknown preset 'strict'; valid presets: reference, paper"), run.err());
    }
}
