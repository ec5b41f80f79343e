package dev.autoif.activities.dataset;

import dev.autoif.workflows.dataset.PreferencePair;
import dev.autoif.workflows.dataset.SftExample;
import dev.autoif.workflows.dataset.SftPrompt;
import java.util.List;

/** A small dataset with the awkward characters real data has: quotes, newlines, non-ASCII, an emoji. */
final class DatasetFixtures {
    private DatasetFixtures() {}

    static final String Q1 = "what is the best mbti";
    static final String I1 = "Keep your response under twenty-five words without exception";
    static final String Q2 = "What is \"Dead by Daylight\"?";
    static final String I2 = "Answer in exactly two lines";

    static List<SftExample> sft() {
        return List.of(
                new SftExample("ins-1", I1, Q1, SftPrompt.reference(Q1, I1),
                        "There is no \"best\" MBTI type; each has unique strengths.", 1.0, List.of(9.0, 10.0)),
                new SftExample("ins-2", I2, Q2, SftPrompt.reference(Q2, I2),
                        "A multiplayer horror game.\nFour survivors flee one killer — café 🐱.", 0.75, List.of(9.0)));
    }

    static List<PreferencePair> pairs() {
        return List.of(
                new PreferencePair("ins-2", SftPrompt.reference(Q2, I2), "A horror game.\nOne killer, four survivors.",
                        "A horror game with one killer and four survivors.", 1.0, 0.0, PreferencePair.RESPONSE_LEVEL),
                new PreferencePair("ins-2", SftPrompt.reference(Q2, I2), "Asymmetric horror.\nBy Behaviour.",
                        "It is a game.", 0.5, 0.0, PreferencePair.RESPONSE_LEVEL));
    }
}
