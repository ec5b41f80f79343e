package dev.autoif.workflows.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Calls to the user's OpenAI-compatible endpoints. Run on {@code TaskQueues.LLM}. */
@ActivityInterface
public interface LlmActivities {
    /** S2: K verifier completions, each parsed; a completion that cannot be parsed says why. */
    @ActivityMethod(name = "GenerateVerifiers")
    VerifierCompletions generateVerifiers(VerifierRequest request);

    /** S1: K self-instruct completions, each parsed into its "- " items. */
    @ActivityMethod(name = "SelfInstruct")
    SelfInstructCompletions selfInstruct(SelfInstructRequest request);
}
