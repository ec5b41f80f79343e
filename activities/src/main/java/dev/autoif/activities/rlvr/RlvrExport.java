package dev.autoif.activities.rlvr;

import dev.autoif.activities.artifacts.CampaignKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.dataset.DatasetToolsPython;
import dev.autoif.activities.artifacts.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * RLVR (reinforcement learning with verifiable rewards) datasets from a campaign directory: one row per (query,
 * instruction) prompt that Stage 2 sampled for a kept instruction, or, from {@code verifiers.jsonl} alone, one row per
 * kept instruction with the instruction as the whole prompt. Every row references its verifiers by the sha256 of
 * their code; the code itself is written once, content-addressed, to the sidecar {@value #SIDECAR} (never inline in
 * a trainer's dataset, which trainers shuffle, shard and log).
 *
 * <p>The label every format carries is the same JSON string ({@link #groundTruth}), so one reward service scores
 * rows of any format. {@code stage2_pass_rate} is the mean verifier pass rate of the prompt's Stage 2 samples (1.0:
 * every sample passed every verifier; 0.0: none did) — the number RL users filter on, since a prompt whose samples
 * all pass or all fail gives GRPO no signal. It is null for rows built from verifiers.jsonl alone.
 */
public final class RlvrExport {
    public static final String DIR = "rlvr";
    public static final String SIDECAR = "verifiers.jsonl";
    public static final String TRL = "trl.jsonl";
    public static final String VERL_ROWS = "verl.jsonl";
    public static final String VERL = "verl.parquet";
    public static final String OPENRLHF = "openrlhf.jsonl";
    public static final String OPEN_INSTRUCT = "open_instruct.jsonl";
    public static final String DATA_SOURCE = "autoif";
    public static final String ABILITY = "instruction_following";

    /** A prompt to train on, with what scores it. */
    public record Prompt(String instructionId, String instruction, String query, String prompt, List<String> verifiers,
                         Integer stage2Samples, Double stage2PassRate) {}

    /** What {@link #write} wrote. */
    public record Result(Path dir, int rows, int verifiers, boolean fromResponses) {}

    private final ObjectMapper json = new ObjectMapper();

    /**
     * Reads the campaign directory and writes {@code CAMPAIGN/rlvr/} (or {@code out}). Uses responses.jsonl when the
     * campaign reached its export, else verifiers.jsonl alone.
     */
    public Result export(Path campaign, Path out) {
        Path verifiersFile = campaign.resolve(CampaignKeys.VERIFIERS);
        if (!Files.isRegularFile(verifiersFile)) {
            throw new IllegalArgumentException("no " + CampaignKeys.VERIFIERS + " in " + campaign
                    + " (not a campaign directory, or Stage 1 has not finished)");
        }
        Map<String, String> code = new LinkedHashMap<>(); // sha256 -> code, in first-use order
        Map<String, Instruction> instructions = readVerifiers(verifiersFile.toString(), lines(verifiersFile), code);
        Path responses = campaign.resolve(CampaignKeys.RESPONSES);
        boolean fromResponses = Files.isRegularFile(responses);
        List<Prompt> prompts = fromResponses ? promptsFromResponses(responses, instructions)
                : instructions.values().stream().map(i -> new Prompt(i.id, i.text, null, i.text, i.verifiers, null, null)).toList();
        write(out, prompts, code);
        return new Result(out, prompts.size(), code.size(), fromResponses);
    }

    /** sha256 -> code of every verifier of a campaign's verifiers.jsonl ({@code where} names it in messages). */
    public Map<String, String> verifierCode(String where, List<String> lines) {
        Map<String, String> code = new LinkedHashMap<>();
        readVerifiers(where, lines, code);
        return code;
    }

    private record Instruction(String id, String text, List<String> verifiers) {}

    private Map<String, Instruction> readVerifiers(String file, List<String> lines, Map<String, String> code) {
        Map<String, Instruction> byId = new LinkedHashMap<>();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank()) continue;
            JsonNode row = parse(file, n, line);
            String id = row.path("instruction_id").asText(null);
            String text = row.path("instruction").asText(null);
            if (id == null || text == null || !row.path("eval_func").isArray()) {
                throw new IllegalArgumentException(file + " line " + n + ": needs instruction_id, instruction and eval_func");
            }
            List<String> shas = new ArrayList<>();
            for (JsonNode f : row.get("eval_func")) {
                String source = f.isArray() ? f.path(0).asText() : f.asText(); // [code, accuracy] or bare code
                String sha = sha256(source);
                code.putIfAbsent(sha, source);
                if (!shas.contains(sha)) shas.add(sha);
            }
            byId.put(id, new Instruction(id, text, List.copyOf(shas)));
        }
        return byId;
    }

    private List<Prompt> promptsFromResponses(Path file, Map<String, Instruction> instructions) {
        record Acc(Instruction instruction, String query, String prompt, double[] sum, int[] count) {}
        Map<String, Acc> byPrompt = new LinkedHashMap<>();
        int n = 0;
        for (String line : lines(file)) {
            n++;
            if (line.isBlank()) continue;
            JsonNode row = parse(file, n, line);
            Instruction instruction = instructions.get(row.path("instruction_id").asText());
            if (instruction == null) continue; // its instruction was not kept
            String prompt = row.path("prompt").asText();
            Acc acc = byPrompt.computeIfAbsent(instruction.id + "\u0000" + prompt,
                    k -> new Acc(instruction, row.path("query").asText(null), prompt, new double[1], new int[1]));
            acc.sum[0] += row.path("pass_rate").asDouble();
            acc.count[0]++;
        }
        return byPrompt.values().stream().map(a -> new Prompt(a.instruction.id, a.instruction.text, a.query, a.prompt,
                a.instruction.verifiers, a.count[0], a.sum[0] / a.count[0])).toList();
    }

    /** Writes the four formats' rows (verl's as JSONL, for {@code rlvr_parquet.py}) and the sidecar into {@code out}. */
    public void write(Path out, List<Prompt> prompts, Map<String, String> code) {
        StringBuilder trl = new StringBuilder();
        StringBuilder verl = new StringBuilder();
        StringBuilder openrlhf = new StringBuilder();
        StringBuilder openInstruct = new StringBuilder();
        int index = 0;
        for (Prompt p : prompts) {
            String label = groundTruth(p);
            ObjectNode t = json.createObjectNode();
            t.set("prompt", messages(p));
            t.put("ground_truth", label);
            t.put("instruction_id", p.instructionId());
            t.put("stage2_pass_rate", p.stage2PassRate());
            trl.append(t).append('\n');

            ObjectNode v = json.createObjectNode();
            v.put("data_source", DATA_SOURCE);
            v.set("prompt", messages(p));
            v.put("ability", ABILITY);
            ObjectNode reward = v.putObject("reward_model");
            reward.put("style", "rule");
            reward.put("ground_truth", label);
            ObjectNode extra = v.putObject("extra_info");
            extra.put("index", index++);
            extra.put("instruction_id", p.instructionId());
            extra.put("instruction", p.instruction());
            extra.put("query", p.query());
            extra.put("stage2_samples", p.stage2Samples());
            extra.put("stage2_pass_rate", p.stage2PassRate());
            verl.append(v).append('\n');

            ObjectNode o = json.createObjectNode();
            o.set("input", messages(p));
            o.put("label", label);
            openrlhf.append(o).append('\n');

            ObjectNode oi = json.createObjectNode();
            oi.set("messages", messages(p));
            oi.put("ground_truth", label);
            oi.put("dataset", DATA_SOURCE);
            openInstruct.append(oi).append('\n');
        }
        StringBuilder sidecar = new StringBuilder();
        code.forEach((sha, source) -> {
            ObjectNode s = json.createObjectNode();
            s.put("sha256", sha);
            s.put("code", source);
            sidecar.append(s).append('\n');
        });
        AtomicFiles.write(out.resolve(TRL), trl.toString());
        AtomicFiles.write(out.resolve(VERL_ROWS), verl.toString());
        AtomicFiles.write(out.resolve(OPENRLHF), openrlhf.toString());
        AtomicFiles.write(out.resolve(OPEN_INSTRUCT), openInstruct.toString());
        AtomicFiles.write(out.resolve(SIDECAR), sidecar.toString());
    }

    /**
     * Converts {@value #VERL_ROWS} in {@code out} to verl's {@value #VERL} with pyarrow in the dataset-tools venv
     * (a Java parquet writer would bring hadoop-common and its dependency tree into the worker jar for one file).
     * Returns what the converter printed; throws with a one-line reason when there is no such Python or it fails.
     */
    public String writeParquet(Path out) {
        Path python = DatasetToolsPython.find().orElseThrow(() -> new IllegalStateException(
                VERL + " not written: " + DatasetToolsPython.missing()));
        try (InputStream script = RlvrExport.class.getResourceAsStream("rlvr_parquet.py")) {
            Process p = new ProcessBuilder(python.toString(), "-", out.resolve(VERL_ROWS).toString(),
                    out.resolve(VERL).toString()).redirectErrorStream(true).start();
            try (OutputStream stdin = p.getOutputStream()) {
                script.transferTo(stdin);
            }
            String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(VERL + " not written: pyarrow did not finish in 120 s");
            }
            if (p.exitValue() != 0) {
                String[] lines = printed.split("\n");
                throw new IllegalStateException(VERL + " not written: " + lines[lines.length - 1]);
            }
            Files.delete(out.resolve(VERL_ROWS)); // only the converter's input
            return printed;
        } catch (IOException e) {
            throw new UncheckedIOException(VERL + " not written: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(VERL + " not written: interrupted");
        }
    }

    /**
     * The label of a row: a JSON string (trainers pass labels through as strings) naming the instruction and the
     * sha256 of each of its verifiers in the sidecar.
     */
    String groundTruth(Prompt p) {
        ObjectNode gt = json.createObjectNode();
        gt.put("instruction_id", p.instructionId());
        ArrayNode v = gt.putArray("verifiers");
        p.verifiers().forEach(v::add);
        return gt.toString();
    }

    private ArrayNode messages(Prompt p) {
        ArrayNode m = json.createArrayNode();
        m.addObject().put("role", "user").put("content", p.prompt());
        return m;
    }

    public static String sha256(String code) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(code.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode parse(Object file, int n, String line) {
        try {
            JsonNode row = json.readTree(line);
            if (row == null || !row.isObject()) throw new IllegalArgumentException(file + " line " + n + ": not a JSON object");
            return row;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " line " + n + ": not JSON");
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
