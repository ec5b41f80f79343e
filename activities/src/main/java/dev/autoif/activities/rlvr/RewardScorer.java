package dev.autoif.activities.rlvr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.sandbox.DockerSandbox;
import dev.autoif.activities.sandbox.WarmSandboxPool;
import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Scores (response, label) items with the verifiers a label names, in the Docker sandbox: all items of one call go
 * to one warm container of the {@link WarmSandboxPool} as one batch, items with the same label (a GRPO group: one prompt, many responses) form one function x response
 * matrix, and verdicts are cached by (verifier sha256, response sha256), so a response seen again costs nothing. A
 * verifier that times out, raises or returns a non-bool scores false for that item and is reported; a sandbox
 * failure scores every item of the call 0 with the reason. Nothing here executes verifier code in the JVM.
 */
public final class RewardScorer {
    /** How an item's verifier verdicts become its reward. */
    public enum Aggregation {
        MEAN, ALL, MAJORITY;

        public static Aggregation parse(String s) {
            if (s == null) return MEAN;
            try {
                return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("aggregation '" + s + "': expected mean, all or majority");
            }
        }
    }

    public record Item(String response, String label) {}

    /** One verifier's verdict on one item: passed, or why not. */
    public record Verdict(String sha256, boolean passed, boolean timedOut, String error, boolean cached) {}

    /** {@code reward} is null only when the label could not be resolved ({@code error} says why). */
    public record Score(Double reward, List<Verdict> verdicts, boolean timedOut, String error) {}

    private static final Pattern THINK = Pattern.compile("(?s)<think>.*?</think>");
    private static final Pattern UNCLOSED_THINK = Pattern.compile("(?s)^.*</think>"); // template opened it in the prompt

    private final WarmSandboxPool sandbox;
    private final Map<String, String> code; // sha256 -> source
    private final int timeoutSeconds;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Verdict> cache = new ConcurrentHashMap<>();

    public RewardScorer(WarmSandboxPool sandbox, Map<String, String> code, int timeoutSeconds) {
        this.sandbox = sandbox;
        this.code = Map.copyOf(code);
        this.timeoutSeconds = timeoutSeconds;
    }

    /**
     * The verifier code of a campaign (its verifiers.jsonl) or of an RLVR export (its sidecar), in a directory or an
     * object store: the sha256 of each function is recomputed, so a sidecar cannot alias code to another sha.
     */
    public static Map<String, String> loadVerifiers(ArtifactStore campaign) {
        String rlvrSidecar = RlvrExport.DIR + "/" + RlvrExport.SIDECAR;
        Optional<String> content = campaign.findString(rlvrSidecar);
        String key = content.isPresent() ? rlvrSidecar : RlvrExport.SIDECAR;
        List<String> lines = content.or(() -> campaign.findString(RlvrExport.SIDECAR))
                .orElseThrow(() -> new IllegalArgumentException("--verifiers " + campaign.location()
                        + ": no verifiers.jsonl (a campaign directory or an RLVR export)"))
                .lines().filter(line -> !line.isBlank()).toList();
        ObjectMapper json = new ObjectMapper();
        if (!lines.isEmpty() && !isSidecarRow(json, lines.get(0))) {
            return new RlvrExport().verifierCode(campaign.location(key), lines);
        }
        Map<String, String> code = new LinkedHashMap<>();
        for (String line : lines) {
            String source = readTree(json, line, campaign.location(key)).path("code").asText();
            code.put(RlvrExport.sha256(source), source);
        }
        return code;
    }

    private static boolean isSidecarRow(ObjectMapper json, String line) {
        try {
            return json.readTree(line).has("sha256");
        } catch (IOException e) {
            return false; // the campaign file's reader names the bad line
        }
    }

    private static JsonNode readTree(ObjectMapper json, String line, String where) {
        try {
            return json.readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": a line is not JSON");
        }
    }

    public int verifiers() {
        return code.size();
    }

    public int cached() {
        return cache.size();
    }

    public WarmSandboxPool sandbox() {
        return sandbox;
    }

    /** Scores every item; one sandbox container for all verdicts not in the cache. */
    public List<Score> score(List<Item> items, Aggregation aggregation, boolean stripReasoning) {
        List<String> responses = new ArrayList<>();
        List<List<String>> shas = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Item item : items) {
            String response = item.response() == null ? "" : item.response();
            responses.add(stripReasoning ? strip(response) : response);
            List<String> s = new ArrayList<>();
            String error = resolve(item.label(), s);
            shas.add(s);
            errors.add(error);
        }
        // uncached (sha, response) cells, grouped by verifier set so a GRPO group is one matrix
        Map<List<String>, List<String>> groups = new LinkedHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            if (errors.get(i) != null) continue;
            String rh = RlvrExport.sha256(responses.get(i));
            List<String> missing = shas.get(i).stream().filter(sha -> !cache.containsKey(key(sha, rh))).toList();
            if (!missing.isEmpty()) {
                List<String> inputs = groups.computeIfAbsent(missing, k -> new ArrayList<>());
                if (!inputs.contains(responses.get(i))) inputs.add(responses.get(i));
            }
        }
        String sandboxError = null;
        Map<String, Verdict> fresh = new LinkedHashMap<>();
        if (!groups.isEmpty()) {
            List<List<String>> keys = new ArrayList<>(groups.keySet());
            List<DockerSandbox.Group> batch = keys.stream()
                    .map(k -> new DockerSandbox.Group(k.stream().map(code::get).toList(), groups.get(k))).toList();
            try {
                // A disturbed group (another group, or what an earlier batch left, may have starved or killed it)
                // comes back re-run alone in a fresh container: a hostile verifier cannot change another item's reward.
                List<DockerSandbox.GroupResult> result = sandbox.runGroups(batch, timeoutSeconds);
                for (int g = 0; g < keys.size(); g++) {
                    List<String> inputs = groups.get(keys.get(g));
                    for (int f = 0; f < keys.get(g).size(); f++) {
                        FunctionEvaluation row = result.get(g).rows().get(f);
                        String sha = keys.get(g).get(f);
                        for (int r = 0; r < inputs.size(); r++) {
                            Verdict v = verdict(sha, row, r);
                            String k = key(sha, RlvrExport.sha256(inputs.get(r)));
                            fresh.put(k, v);
                            // a timeout may be the machine's load, not the verifier; nor is a re-run group's verdict cached
                            if (!v.timedOut() && !result.get(g).disturbed()) cache.put(k, v);
                        }
                    }
                }
            } catch (RuntimeException e) {
                sandboxError = "sandbox failed: " + e.getMessage();
            }
        }
        List<Score> scores = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (errors.get(i) != null) {
                scores.add(new Score(null, List.of(), false, errors.get(i)));
                continue;
            }
            String rh = RlvrExport.sha256(responses.get(i));
            List<Verdict> verdicts = new ArrayList<>();
            boolean missing = false;
            for (String sha : shas.get(i)) {
                Verdict v = fresh.get(key(sha, rh));
                if (v == null) {
                    Verdict c = cache.get(key(sha, rh));
                    v = c == null ? null : new Verdict(sha, c.passed(), c.timedOut(), c.error(), true);
                }
                if (v == null) missing = true;
                else verdicts.add(v);
            }
            if (missing) {
                scores.add(new Score(0.0, verdicts, false, sandboxError));
                continue;
            }
            long passed = verdicts.stream().filter(Verdict::passed).count();
            double reward = switch (aggregation) {
                case MEAN -> (double) passed / verdicts.size();
                case ALL -> passed == verdicts.size() ? 1.0 : 0.0;
                case MAJORITY -> passed * 2 > verdicts.size() ? 1.0 : 0.0;
            };
            scores.add(new Score(reward, verdicts, verdicts.stream().anyMatch(Verdict::timedOut), null));
        }
        return scores;
    }

    private static Verdict verdict(String sha, FunctionEvaluation row, int r) {
        if (!row.usable()) return new Verdict(sha, false, false, "definition: " + row.definitionError(), false);
        Cell c = row.cells().get(r);
        return new Verdict(sha, Boolean.TRUE.equals(c.value()), c.timedOut(),
                c.error() != null ? c.error() : c.value() == null ? "returned " + c.returnType() : null, false);
    }

    /** Fills {@code shas} from a label (the JSON ground truth of an RLVR export); returns what is wrong, or null. */
    private String resolve(String label, List<String> shas) {
        if (label == null || label.isBlank()) return "no label";
        try {
            JsonNode gt = json.readTree(label);
            if (gt == null || !gt.path("verifiers").isArray() || gt.get("verifiers").isEmpty()) {
                return "label has no 'verifiers' list";
            }
            for (JsonNode s : gt.get("verifiers")) {
                if (!code.containsKey(s.asText())) return "unknown verifier " + abbreviate(s.asText());
                shas.add(s.asText());
            }
            return null;
        } catch (IOException e) {
            return "label is not JSON";
        }
    }

    static String strip(String response) {
        String s = THINK.matcher(response).replaceAll("");
        return UNCLOSED_THINK.matcher(s).replaceFirst("").strip();
    }

    private static String key(String sha, String responseHash) {
        return sha + ":" + responseHash;
    }

    private static String abbreviate(String s) {
        return s.length() > 16 ? s.substring(0, 16) + "…" : s;
    }
}
