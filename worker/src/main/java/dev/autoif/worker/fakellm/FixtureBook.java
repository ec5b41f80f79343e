package dev.autoif.worker.fakellm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.SelfInstructPrompt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scripted model's answers. Self-instruct (S1) prompts are answered from six fixture lists
 * of new instructions, overlapping on purpose. Verifier-generation prompts for the seed instructions are answered
 * from fixtures holding realistic completions (some deliberately broken); any other instruction
 * gets synthetic but well-formed verifiers, so campaigns of any size can run offline. Answers
 * depend only on the prompt and the choice's sample number, like a seeded real model.
 */
public final class FixtureBook {
    private static final Pattern INSTRUCTION = Pattern.compile("Here is the instruction: (.*?)\\n");
    private final Map<String, List<String>> verifierCompletions;
    private final List<String> selfInstructCompletions;

    private FixtureBook(Map<String, List<String>> verifierCompletions, List<String> selfInstructCompletions) {
        this.verifierCompletions = verifierCompletions;
        this.selfInstructCompletions = selfInstructCompletions;
    }

    public static FixtureBook load() {
        Map<String, List<String>> byInstruction = new HashMap<>();
        ObjectMapper json = new ObjectMapper();
        try (InputStream in = FixtureBook.class.getResourceAsStream("/fakellm/verifier-completions.jsonl")) {
            if (in == null) {
                throw new IllegalStateException("fixture fakellm/verifier-completions.jsonl missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isBlank()) continue;
                JsonNode row = json.readTree(line);
                List<String> completions = new ArrayList<>();
                row.get("completions").forEach(c -> completions.add(c.asText()));
                byInstruction.put(row.get("instruction").asText(), completions);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> selfInstruct = new ArrayList<>();
        try (InputStream in = FixtureBook.class.getResourceAsStream("/fakellm/self-instruct-completions.jsonl")) {
            if (in == null) {
                throw new IllegalStateException("fixture fakellm/self-instruct-completions.jsonl missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                if (!line.isBlank()) selfInstruct.add(json.readTree(line).get("completion").asText());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new FixtureBook(byInstruction, selfInstruct);
    }

    /** The text of choice {@code sample} (= request seed + choice index) for a prompt. */
    public String answer(String prompt, long sample) {
        if (prompt.startsWith(SelfInstructPrompt.OPENING)) {
            return selfInstructCompletions.get((int) Math.floorMod(sample, selfInstructCompletions.size()));
        }
        Matcher m = INSTRUCTION.matcher(prompt);
        if (m.find()) {
            String instruction = m.group(1).strip();
            List<String> fixed = verifierCompletions.get(instruction);
            if (fixed != null) {
                return fixed.get((int) Math.floorMod(sample, fixed.size()));
            }
            return syntheticVerifier(instruction, sample);
        }
        return "I can only answer verifier-generation prompts in this scripted mode.";
    }

    /** Equivalent word-count checks written four ways, as different samples of a model would. */
    private static final String[] SYNTHETIC_BODIES = {
        "words = response.split()\\n    return 0 < len(words) <= %d",
        "n = len(response.split())\\n    return n > 0 and n <= %d",
        "import re\\n    return 0 < len(re.findall(r'\\\\S+', response)) <= %d",
        "count = sum(1 for _ in response.split())\\n    return count >= 1 and count <= %d",
    };

    /** A well-formed verifier completion for an instruction without fixtures. */
    static String syntheticVerifier(String instruction, long sample) {
        int limit = 40 + Math.floorMod(instruction.hashCode(), 60);
        String body = SYNTHETIC_BODIES[(int) Math.floorMod(sample, SYNTHETIC_BODIES.length)].formatted(limit);
        String shortOk = "Answer number " + sample + " stays short.";
        String longBad = ("word ".repeat(limit + 1 + (int) Math.floorMod(sample, 5))).strip();
        return "```json\n{\"func\": \"def evaluate(response):\\n    " + body + "\", \"cases\": ["
                + "{\"input\": \"" + shortOk + "\", \"output\": true}, "
                + "{\"input\": \"" + longBad + "\", \"output\": false}, "
                + "{\"input\": \"\", \"output\": false}]}\n```";
    }
}
