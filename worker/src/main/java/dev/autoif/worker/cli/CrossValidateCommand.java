package dev.autoif.worker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.ChatSample;
import dev.autoif.activities.llm.VerifierParser;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.activities.artifacts.AtomicFiles;
import dev.autoif.activities.store.CampaignStoreActivitiesImpl;
import dev.autoif.worker.AutoifSettings;
import dev.autoif.worker.WorkerAssembly;
import dev.autoif.workflows.DropReason;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.crossval.CrossValidationResult;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import dev.autoif.workflows.crossval.Preset;
import dev.autoif.workflows.instruction.VerifierPool;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * S3 on the reference repository's files: reads {@code eval_func_rft.jsonl} ({@code prompt},
 * {@code instruction}, {@code gpt-answer}: raw completions), parses, runs the verifiers in the
 * Docker sandbox, applies the preset's rules exactly as the instruction workflow does, and writes
 * the kept instructions as the reference's {@code cross_validation.jsonl}.
 */
@Command(name = "cross-validate", mixinStandardHelpOptions = true,
        description = "S3 cross-validation of reference eval_func_rft.jsonl into reference cross_validation.jsonl.")
public class CrossValidateCommand implements Callable<Integer> {
    private static final int SUMMARY_CHARS = 70;

    @Option(names = "--input", required = true, description = "eval_func_rft.jsonl: {prompt, instruction, gpt-answer: [str]} per line.")
    Path input;

    @Option(names = "--output", required = true, description = "cross_validation.jsonl to write (kept instructions only).")
    Path output;

    @Option(names = "--preset", defaultValue = "reference", description = "reference or paper (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--timeout-seconds", defaultValue = "5", description = "Per evaluate() call (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Spec
    CommandSpec spec;

    @Inject
    AutoifSettings settings;

    @Override
    public Integer call() throws IOException {
        Preset rules = StageCommand.preset(spec, preset);
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper json = new ObjectMapper();
        DockerSandbox sandbox = WorkerAssembly.sandbox(settings);
        StringBuilder kept = new StringBuilder();
        Map<String, Integer> dropped = new TreeMap<>();
        List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
        int instructions = 0;
        for (int n = 0; n < lines.size(); n++) {
            if (lines.get(n).isBlank()) {
                continue;
            }
            JsonNode row = json.readTree(lines.get(n));
            String instruction = row.path("instruction").asText();
            List<VerifierSample> samples = new ArrayList<>();
            for (JsonNode answer : row.path("gpt-answer")) {
                // The reference file keeps no finish reason; its completions are complete.
                samples.add(VerifierParser.parse(samples.size(), new ChatSample(answer.asText(), "stop")));
            }
            instructions++;
            VerifierPool pool = VerifierPool.of(samples);
            String verdict;
            if (pool.functions().isEmpty()) {
                dropped.merge(DropReason.NO_PARSEABLE_COMPLETION.name(), 1, Integer::sum);
                verdict = "DROPPED " + DropReason.NO_PARSEABLE_COMPLETION;
            } else {
                List<FunctionEvaluation> rows = sandbox.evaluate(new EvaluationBatch("stage-cross-validate",
                        "line-" + (n + 1), pool.functions(), pool.inputs(), timeoutSeconds), () -> {}).rows();
                CrossValidationResult cv = pool.decide(rules.crossValidation(), rows);
                verdict = String.format("%d functions (%d usable), %d cases -> %d cases kept, %d functions kept: %s",
                        pool.functions().size(), rows.stream().filter(FunctionEvaluation::usable).count(),
                        pool.cases().size(), cv.keptCases().size(), cv.keptFunctions().size(),
                        cv.kept() ? "KEPT" : "DROPPED " + cv.dropReason());
                if (cv.kept()) {
                    kept.append(CampaignStoreActivitiesImpl.referenceRow(json, instruction,
                            pool.verifierRecords(rows, cv), pool.caseRecords(rows, cv))).append('\n');
                } else {
                    dropped.merge(cv.dropReason().name(), 1, Integer::sum);
                }
            }
            out.printf("[%d] %s%n    %s%n", instructions, abbreviate(instruction), verdict);
            for (VerifierSample s : samples) {
                if (!s.usable()) {
                    out.printf("    completion %d unusable: %s%n", s.index(), abbreviate(s.parseError()));
                } else if (s.rejectedCases() > 0) {
                    out.printf("    completion %d: %d case(s) without a usable label%n", s.index(), s.rejectedCases());
                }
            }
        }
        AtomicFiles.write(output, kept.toString());
        int droppedCount = dropped.values().stream().mapToInt(Integer::intValue).sum();
        out.printf("%d instructions (preset %s): %d kept, %d dropped%n", instructions, rules.wireName(),
                instructions - droppedCount, droppedCount);
        dropped.forEach((reason, count) -> out.printf("  dropped %s: %d%n", reason, count));
        out.println("wrote " + output.toAbsolutePath());
        out.flush();
        return 0;
    }

    private static String abbreviate(String s) {
        return s.length() > SUMMARY_CHARS ? s.substring(0, SUMMARY_CHARS) + "…" : s;
    }
}
