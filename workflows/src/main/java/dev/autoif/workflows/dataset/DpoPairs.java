package dev.autoif.workflows.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * D1/D2: preference pairs from scored responses. Chosen: pass rate >= {@link #CHOSEN_MIN_PASS_RATE}; rejected: pass
 * rate 0. Up to {@link #MAX_PER_SIDE} of each are drawn (seeded, so a replay draws the same) and every chosen is
 * paired with every rejected: at most 4 pairs per prompt. Pure and deterministic, so workflows may call it.
 */
public final class DpoPairs {
    public static final double CHOSEN_MIN_PASS_RATE = 0.5;
    public static final int MAX_PER_SIDE = 2;

    private DpoPairs() {}

    public static List<PreferencePair> build(String instructionId, String prompt, List<ScoredResponse> responses,
                                             String kind, long seed) {
        List<ScoredResponse> chosen = new ArrayList<>();
        List<ScoredResponse> rejected = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (ScoredResponse r : responses) {
            if (r.response() == null || seen.contains(r.response())) {
                continue; // an exact repeat adds no preference signal
            }
            seen.add(r.response());
            if (r.passRate() >= CHOSEN_MIN_PASS_RATE) {
                chosen.add(r);
            } else if (r.passRate() == 0) {
                rejected.add(r);
            }
        }
        SplittableRandom random = new SplittableRandom(seed ^ prompt.hashCode() * 0x9E3779B97F4A7C15L);
        // Each side is drawn once and the two draws are crossed (the reference's itertools.product): drawing the
        // rejected side again for every chosen one would spread up to 4 different rejected over 4 pairs.
        List<ScoredResponse> chosenDrawn = draw(chosen, random);
        List<ScoredResponse> rejectedDrawn = draw(rejected, random);
        List<PreferencePair> pairs = new ArrayList<>();
        for (ScoredResponse c : chosenDrawn) {
            for (ScoredResponse r : rejectedDrawn) {
                pairs.add(new PreferencePair(instructionId, prompt, c.response(), r.response(), c.passRate(),
                        r.passRate(), kind));
            }
        }
        return pairs;
    }

    private static List<ScoredResponse> draw(List<ScoredResponse> from, SplittableRandom random) {
        List<ScoredResponse> pool = new ArrayList<>(from);
        List<ScoredResponse> drawn = new ArrayList<>();
        while (drawn.size() < MAX_PER_SIDE && !pool.isEmpty()) {
            drawn.add(pool.remove(random.nextInt(pool.size())));
        }
        return drawn;
    }
}
