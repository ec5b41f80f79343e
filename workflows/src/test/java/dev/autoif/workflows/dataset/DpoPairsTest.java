package dev.autoif.workflows.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DpoPairsTest {
    static final List<ScoredResponse> MANY = List.of(new ScoredResponse("c1", 1.0), new ScoredResponse("c2", 0.5),
            new ScoredResponse("c3", 0.75), new ScoredResponse("r1", 0.0), new ScoredResponse("r2", 0.0),
            new ScoredResponse("r3", 0.0), new ScoredResponse("mid", 0.4), new ScoredResponse("c1", 1.0));

    @Test
    void twoChosenCrossedWithTwoRejected() {
        for (long seed = 0; seed < 50; seed++) {
            List<PreferencePair> pairs = DpoPairs.build("i", "p", MANY, PreferencePair.RESPONSE_LEVEL, seed);
            Set<String> chosen = new HashSet<>();
            Set<String> rejected = new HashSet<>();
            Set<String> combos = new HashSet<>();
            for (PreferencePair pair : pairs) {
                assertTrue(pair.chosen().startsWith("c") && pair.chosenPassRate() >= 0.5, pair.toString());
                assertTrue(pair.rejected().startsWith("r") && pair.rejectedPassRate() == 0, pair.toString());
                chosen.add(pair.chosen());
                rejected.add(pair.rejected());
                combos.add(pair.chosen() + "|" + pair.rejected());
            }
            assertEquals(4, pairs.size(), "seed " + seed);
            assertEquals(2, chosen.size(), "seed " + seed + ": " + pairs);
            assertEquals(2, rejected.size(), "seed " + seed + ": the same two rejected for both chosen: " + pairs);
            assertEquals(4, combos.size(), "seed " + seed);
            assertEquals(pairs, DpoPairs.build("i", "p", MANY, PreferencePair.RESPONSE_LEVEL, seed), "seeded");
        }
    }

    @Test
    void aMissingSideGivesNoPairAndSmallSidesAreTakenWhole() {
        assertEquals(List.of(), DpoPairs.build("i", "p", List.of(new ScoredResponse("c", 1.0)), "response", 1));
        assertEquals(List.of(), DpoPairs.build("i", "p", List.of(new ScoredResponse("r", 0.0),
                new ScoredResponse("mid", 0.3)), "response", 1));
        assertEquals(List.of(new PreferencePair("i", "p", "c", "r", 0.5, 0.0, "response")),
                DpoPairs.build("i", "p", List.of(new ScoredResponse("c", 0.5), new ScoredResponse("r", 0.0)), "response", 1));
    }
}
