package dev.autoif.activities.llm;

import java.util.List;

/**
 * The S1 (self-instruct) prompt of the AutoIF method: asks for 50 new instructions that constrain
 * the format of a response and can be checked by a Python function, with every seed as a positive
 * example and the method's five negative examples. The answer is a list of lines starting with
 * "- " ({@link InstructionListParser}).
 */
public final class SelfInstructPrompt {
    /** The opening sentence; it also identifies S1 prompts (the scripted LLM answers them from fixtures). */
    public static final String OPENING = "You are an expert in writing verifiable instructions about the format of a response.";

    private static final List<String> NEGATIVE_EXAMPLES = List.of(
            "Include a quote from a historical figure in your answer",
            "Answer in Pig Latin",
            "Use only words related to food",
            "Use metaphors in your response",
            "Write in the style of Shakespeare");

    private SelfInstructPrompt() {}

    public static String forSeeds(List<String> seeds) {
        StringBuilder p = new StringBuilder(OPENING).append('\n')
                .append("Please write 50 new instructions that a response could be asked to follow. Each instruction must "
                        + "(1) be about the format of the response, not its style or content, and (2) be checkable by a "
                        + "simple Python function that reads the response and returns True or False.\n")
                .append("Here are examples of good instructions:\n");
        seeds.forEach(s -> p.append("- ").append(s).append('\n'));
        p.append("Here are examples of bad instructions: a Python function cannot check them.\n");
        NEGATIVE_EXAMPLES.forEach(s -> p.append("- ").append(s).append('\n'));
        return p.append("Write only the 50 new instructions, one per line, each line starting with \"- \".").toString();
    }
}
