package dev.autoif.worker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.artifacts.AtomicFiles;
import dev.autoif.workflows.dataset.DpoPairs;
import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.ScoredResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * D1/D2 on the reference repository's files (QwenLM/AutoIF {@code code_dpo/2_dpo_data_query_construct.py}): reads
 * {@code dpo_query_eval_score_results.jsonl}, one {@code {"query": str, "response": [[response, pass_rate], ...]}}
 * per line (the query is the whole prompt; {@code code_dpo/1_dpo_rft_wash.py} writes it), and writes
 * {@code dpo_pairs.jsonl}, one {@code {"instruction": query, "positive": chosen, "negative": rejected}} per pair,
 * formatted as Python's {@code json.dumps} formats it (the reference's own writer).
 *
 * <p>Pairs come from {@link DpoPairs}: chosen pass rate >= 0.5, rejected == 0, up to 2 of each, every chosen with
 * every rejected. That is the reference's rule (its "2 if either side has 2, else 1" branches always draw
 * min(2, available) per side, and a side with none gives no pair); unlike the reference, the draw is seeded
 * ({@code --seed}) so a re-run writes the same file, and a response repeated in the list is drawn once. A line that
 * is not such an object is reported with its number, counted as {@code MALFORMED_LINE} and skipped; blank lines
 * are ignored.
 */
@Command(name = "dpo-pairs", mixinStandardHelpOptions = true,
        description = "D1/D2 preference pairs from reference dpo_query_eval_score_results.jsonl into reference dpo_pairs.jsonl.")
public class DpoPairsCommand implements Callable<Integer> {

    @Option(names = "--input", required = true, description = "dpo_query_eval_score_results.jsonl: {query, response: [[text, pass_rate]]} per line.")
    Path input;

    @Option(names = "--output", required = true, description = "dpo_pairs.jsonl to write: {instruction, positive, negative} per line.")
    Path output;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the draw of up to 2 chosen and 2 rejected (default ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
        StringBuilder written = new StringBuilder();
        Map<String, Integer> dropped = new TreeMap<>();
        int read = 0;
        int kept = 0;
        int pairCount = 0;
        for (int n = 0; n < lines.size(); n++) {
            if (lines.get(n).isBlank()) {
                continue;
            }
            read++;
            List<ScoredResponse> responses = new ArrayList<>();
            String query = null;
            String malformed;
            try {
                JsonNode row = json.readTree(lines.get(n));
                malformed = parse(row, responses);
                if (malformed == null) {
                    query = row.get("query").asText();
                }
            } catch (JsonProcessingException e) {
                malformed = "not JSON (" + e.getOriginalMessage() + ")";
            }
            if (malformed != null) {
                err.printf("line %d: %s; skipped%n", n + 1, malformed);
                dropped.merge("MALFORMED_LINE", 1, Integer::sum);
                continue;
            }
            List<PreferencePair> pairs = DpoPairs.build("line-" + (n + 1), query, responses,
                    PreferencePair.RESPONSE_LEVEL, seed);
            if (pairs.isEmpty()) {
                boolean anyChosen = responses.stream().anyMatch(r -> r.passRate() >= DpoPairs.CHOSEN_MIN_PASS_RATE);
                dropped.merge(anyChosen ? "NO_REJECTED_RESPONSE" : "NO_CHOSEN_RESPONSE", 1, Integer::sum);
                continue;
            }
            kept++;
            for (PreferencePair p : pairs) {
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("instruction", p.prompt());
                fields.put("positive", p.chosen());
                fields.put("negative", p.rejected());
                written.append(PythonJson.dumps(fields)).append('\n');
                pairCount++;
            }
        }
        AtomicFiles.write(output, written.toString());
        out.printf("%d rows read (seed %d): %d with pairs, %d dropped; %d pairs written%n", read, seed, kept,
                read - kept, pairCount);
        dropped.forEach((reason, count) -> out.printf("  dropped %s: %d%n", reason, count));
        out.println("wrote " + output.toAbsolutePath());
        out.flush();
        err.flush();
        return 0;
    }

    /** Fills {@code responses} from a row; returns what is wrong with it, or null. */
    private static String parse(JsonNode row, List<ScoredResponse> responses) {
        if (row == null || !row.isObject()) {
            return "not a JSON object";
        }
        if (!row.path("query").isTextual()) {
            return "no 'query' string";
        }
        if (!row.path("response").isArray()) {
            return "no 'response' list of [response, pass_rate]";
        }
        int i = 0;
        for (JsonNode r : row.get("response")) {
            if (!r.isArray() || r.size() < 2 || !r.get(0).isTextual() || !r.get(1).isNumber()) {
                return "response " + i + " is not [string, number]: " + abbreviate(r.toString());
            }
            responses.add(new ScoredResponse(r.get(0).asText(), r.get(1).asDouble()));
            i++;
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }
}
