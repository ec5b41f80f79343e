package dev.autoif.worker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.JudgeScoreParser;
import dev.autoif.activities.llm.ParseResult;
import dev.autoif.activities.artifacts.AtomicFiles;
import dev.autoif.workflows.crossval.Preset;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * S8 on the reference repository's files (QwenLM/AutoIF {@code code/8_query_score_filiter.py}): reads
 * {@code query_rft_score.jsonl}, one object per line with at least {@code gen}, the judge's answers (list of strings;
 * the reference sample's rows also carry {@code instruction}, {@code query}, {@code response}, {@code prompt} (the
 * judge prompt), {@code beam_unique_id}, {@code eval_args}, {@code end_reason}), and writes {@code query_score_filter.jsonl}:
 * the rows whose mean judge score is above 8, unchanged (each kept line is copied as it is, only surrounding
 * whitespace trimmed; the reference writes the same objects back, so for its own files the bytes are the same).
 *
 * <p>Scores are read with {@link JudgeScoreParser} (the last {@code Score: N} anywhere, markdown and "8/10"
 * tolerated), not the reference's {@code Score: (\d+?)$}, which only sees a score at the very end of the text. As in
 * the reference, an answer without a score is left out of the mean and a row with no score at all is dropped. Both
 * presets use "mean > 8": METHOD.md gives a single S8 threshold. A line that is not a JSON object with a {@code gen}
 * list is reported with its number, counted as {@code MALFORMED_LINE} and skipped; blank lines are ignored.
 */
@Command(name = "judge-filter", mixinStandardHelpOptions = true,
        description = "S8 quality filter of reference query_rft_score.jsonl into reference query_score_filter.jsonl.")
public class JudgeFilterCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, description = "query_rft_score.jsonl: rows with 'gen', the judge's answers.")
    Path input;

    @Option(names = "--output", required = true, description = "query_score_filter.jsonl to write (kept rows, unchanged).")
    Path output;

    @Option(names = "--preset", defaultValue = "reference", description = "reference or paper (default ${DEFAULT-VALUE}); both keep mean score > 8.")
    String preset;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Preset rules = StageCommand.preset(spec, preset);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
        StringBuilder kept = new StringBuilder();
        Map<String, Integer> dropped = new TreeMap<>();
        Map<String, Integer> unscored = new TreeMap<>();
        int read = 0;
        int keptRows = 0;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) {
                continue;
            }
            read++;
            String malformed = null;
            JsonNode row = null;
            try {
                row = json.readTree(line);
                if (row == null || !row.isObject()) {
                    malformed = "not a JSON object";
                } else if (!row.path("gen").isArray()) {
                    malformed = "no 'gen' list of judge answers";
                }
            } catch (JsonProcessingException e) {
                malformed = "not JSON (" + e.getOriginalMessage() + ")";
            }
            if (malformed != null) {
                err.printf("line %d: %s; skipped%n", n + 1, malformed);
                dropped.merge("MALFORMED_LINE", 1, Integer::sum);
                continue;
            }
            double sum = 0;
            int scored = 0;
            for (JsonNode answer : row.get("gen")) {
                ParseResult<Double> score = answer.isTextual() ? JudgeScoreParser.parse(answer.asText())
                        : ParseResult.fail("NOT_A_STRING", "a judge answer is " + answer.getNodeType());
                if (score.ok()) {
                    sum += score.value();
                    scored++;
                } else {
                    unscored.merge(score.reason(), 1, Integer::sum);
                }
            }
            if (scored == 0) {
                dropped.merge("NO_JUDGE_SCORE", 1, Integer::sum);
            } else if (sum / scored > rules.judgeScoreAbove()) {
                kept.append(line.strip()).append('\n');
                keptRows++;
            } else {
                dropped.merge("JUDGE_SCORE_NOT_ABOVE_8", 1, Integer::sum);
            }
        }
        AtomicFiles.write(output, kept.toString());
        int droppedCount = dropped.values().stream().mapToInt(Integer::intValue).sum();
        out.printf(Locale.ROOT, "%d rows read (preset %s, keep mean judge score > %s): %d kept, %d dropped%n", read,
                rules.wireName(), fmt(rules.judgeScoreAbove()), keptRows, droppedCount);
        dropped.forEach((reason, count) -> out.printf("  dropped %s: %d%n", reason, count));
        unscored.forEach((reason, count) -> out.printf("  judge answers left out of the mean, %s: %d%n", reason, count));
        out.println("wrote " + output.toAbsolutePath());
        out.flush();
        err.flush();
        return 0;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
