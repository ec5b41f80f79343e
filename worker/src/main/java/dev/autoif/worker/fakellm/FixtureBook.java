package dev.autoif.worker.fakellm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.llm.BackTranslationPrompt;
import dev.autoif.activities.llm.ChatSample;
import dev.autoif.activities.llm.LlmEntailmentJudge;
import dev.autoif.activities.llm.QualityJudgePrompt;
import dev.autoif.activities.llm.SelfInstructPrompt;
import dev.autoif.activities.llm.VerifierParser;
import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.dataset.SftPrompt;
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
 * gets synthetic but well-formed verifiers, so campaigns of any size can run offline. Back-translation (S4)
 * prompts restate the instruction a fixture function was written for (a deterministic seventh of them as its
 * opposite, so that S5 has contradictions to drop), or a word limit for synthetic functions; entailment (S5)
 * prompts are judged by comparing the texts. Response prompts (S6) are answered with fixture test-case inputs, judge
 * prompts (S8) with a score in one of several formats. Answers depend only on the prompt and the choice's sample number, like
 * a seeded real model.
 */
public final class FixtureBook {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern INSTRUCTION = Pattern.compile("Here is the instruction: (.*?)\\n");
    private static final Pattern WORD_LIMIT = Pattern.compile("<= (\\d+)");
    /** How a contradictory back-translation begins; the scripted judge labels such hypotheses CONTRADICTION. */
    static final String OPPOSITE = "Do the opposite of: ";
    private final Map<String, List<String>> verifierCompletions;
    private final List<String> selfInstructCompletions;
    /** Every fixture function, with the instruction it was written for: what S4 can recover from a function. */
    private final Map<String, String> instructionOfFunction = new HashMap<>();
    /** Every fixture test-case input, by instruction: what the scripted model answers queries with (S6). */
    private final Map<String, List<String>> caseInputsOfInstruction = new HashMap<>();

    private FixtureBook(Map<String, List<String>> verifierCompletions, List<String> selfInstructCompletions) {
        this.verifierCompletions = verifierCompletions;
        this.selfInstructCompletions = selfInstructCompletions;
        verifierCompletions.forEach((instruction, completions) -> {
            for (String c : completions) {
                VerifierSample parsed = VerifierParser.parse(0, new ChatSample(c, "stop"));
                if (parsed.func() != null) {
                    instructionOfFunction.putIfAbsent(parsed.func(), instruction);
                }
                parsed.cases().forEach(tc -> {
                    List<String> inputs = caseInputsOfInstruction.computeIfAbsent(instruction, k -> new ArrayList<>());
                    if (!inputs.contains(tc.input())) inputs.add(tc.input());
                });
            }
        });
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
        if (prompt.startsWith(BackTranslationPrompt.OPENING)) {
            return backTranslation(prompt.substring(prompt.indexOf(BackTranslationPrompt.FUNCTION_MARKER)
                    + BackTranslationPrompt.FUNCTION_MARKER.length()));
        }
        if (prompt.startsWith(LlmEntailmentJudge.OPENING)) {
            int p = prompt.indexOf(LlmEntailmentJudge.PREMISE);
            int h = prompt.indexOf(LlmEntailmentJudge.HYPOTHESIS, p);
            String premise = prompt.substring(p + LlmEntailmentJudge.PREMISE.length(), h);
            String hypothesis = prompt.substring(h + LlmEntailmentJudge.HYPOTHESIS.length());
            return hypothesis.equals(premise) ? "ENTAILMENT"
                    : hypothesis.startsWith(OPPOSITE) ? "CONTRADICTION" : "NEUTRAL";
        }
        if (prompt.startsWith(RESPONSE_OPENING)) {
            return response(prompt, sample);
        }
        if (prompt.startsWith(QualityJudgePrompt.OPENING)) {
            return judgement(prompt, sample);
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

    /**
     * S4: the instruction a fixture function was written for, restated verbatim, or its opposite for instructions
     * whose hash is a multiple of 7; a word limit for a synthetic function.
     */
    private String backTranslation(String func) {
        String instruction = instructionOfFunction.get(func);
        String stated;
        if (instruction != null) {
            stated = Math.floorMod(instruction.hashCode(), 7) == 0 ? OPPOSITE + instruction : instruction;
        } else {
            Matcher limit = WORD_LIMIT.matcher(func);
            stated = limit.find() ? "Answer in at most " + limit.group(1) + " words." : "Write a response.";
        }
        try {
            return JSON.writeValueAsString(List.of(stated));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String RESPONSE_OPENING = SftPrompt.forSampling("", "").substring(0, 40);

    /**
     * S6: a fixture instruction is answered with one of the test-case inputs its fixture verifiers were written
     * with (some comply, some do not, as samples of a real model would); a synthetic one with a short or an overlong
     * answer.
     */
    private String response(String prompt, long sample) {
        int i = prompt.indexOf("[instruction] ");
        int q = prompt.indexOf("\n[Query] ");
        String instruction = i < 0 || q < 0 ? "" : prompt.substring(i + "[instruction] ".length(), q).strip();
        String query = q < 0 ? "" : prompt.substring(q + "\n[Query] ".length());
        List<String> inputs = caseInputsOfInstruction.get(instruction);
        int pick = Math.floorMod(query.hashCode() + (int) sample * 7, 1 << 16);
        if (inputs != null && !inputs.isEmpty()) {
            return inputs.get(pick % inputs.size());
        }
        int limit = 40 + Math.floorMod(instruction.hashCode(), 60);
        return pick % 3 == 2 ? ("answer " + sample + " ").repeat(limit).strip()
                : "Answer " + sample + " to your question, kept short.";
    }

    /**
     * S8: a score from 5 to 10 that depends only on the response and the sample, written the ways real judges write
     * it; one answer in eleven forgets the score line.
     */
    private static String judgement(String prompt, long sample) {
        String response = prompt.substring(prompt.lastIndexOf(QualityJudgePrompt.RESPONSE) + QualityJudgePrompt.RESPONSE.length());
        int h = Math.floorMod(response.hashCode() * 31 + (int) sample, 1 << 16);
        if (h % 11 == 0) {
            return "The response is hard to assess; I will not give a number.";
        }
        int score = 5 + h % 6;
        return switch (h % 3) {
            case 0 -> "The response follows the instruction reasonably.\nScore: " + score;
            case 1 -> "Analysis: it addresses the query.\n**Score:** " + score;
            default -> "It mostly complies. Score: " + score + "/10";
        };
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
