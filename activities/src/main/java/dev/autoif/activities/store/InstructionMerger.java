package dev.autoif.activities.store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Merges a list of instructions into its distinct ones, in order: an instruction that repeats an
 * earlier one exactly (after whitespace normalisation), or whose word set is at least
 * {@code threshold} similar to an earlier one's (Jaccard), is merged into that earlier one.
 * Words, not characters, on purpose: "begin with the letter 'S'" and "... 'B'" share almost all
 * their characters but ask for different things, and differ by one word in eight.
 */
final class InstructionMerger {
    /** {@code instruction} was dropped as a duplicate of {@code mergedInto}. */
    record Merge(String instruction, String mergedInto, boolean exact, double similarity) {}

    record Result(List<String> kept, List<Merge> merges) {}

    private InstructionMerger() {}

    static String normalize(String instruction) {
        return instruction.strip().replaceAll("\\s+", " ");
    }

    static Result merge(List<String> instructions, double threshold) {
        Map<String, Set<String>> kept = new LinkedHashMap<>();
        List<Merge> merges = new ArrayList<>();
        for (String raw : instructions) {
            String text = normalize(raw);
            if (text.isEmpty()) {
                continue;
            }
            if (kept.containsKey(text)) {
                merges.add(new Merge(text, text, true, 1.0));
                continue;
            }
            Set<String> words = words(text);
            String closest = null;
            double best = 0;
            for (Map.Entry<String, Set<String>> k : kept.entrySet()) {
                double similarity = jaccard(words, k.getValue());
                if (similarity > best) {
                    best = similarity;
                    closest = k.getKey();
                }
            }
            if (closest != null && best >= threshold) {
                merges.add(new Merge(text, closest, false, best));
            } else {
                kept.put(text, words);
            }
        }
        return new Result(List.copyOf(kept.keySet()), merges);
    }

    /** Lower-cased runs of letters and digits: case and punctuation do not make an instruction new. */
    static Set<String> words(String text) {
        Set<String> words = new HashSet<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                words.add(w);
            }
        }
        return words;
    }

    static double jaccard(Set<String> a, Set<String> b) {
        if (a.isEmpty() || b.isEmpty()) {
            return 0;
        }
        int common = 0;
        for (String w : a) {
            if (b.contains(w)) {
                common++;
            }
        }
        return (double) common / (a.size() + b.size() - common);
    }
}
