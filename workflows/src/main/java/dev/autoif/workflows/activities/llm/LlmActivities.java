package dev.autoif.workflows.activities.llm;

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

    /** S4: one completion stating, as a JSON list, the instruction a verifier function checks. */
    @ActivityMethod(name = "BackTranslate")
    BackTranslation backTranslate(BackTranslationRequest request);

    /** S5: an entailment label for each (instruction, back-translated instruction) pair. */
    @ActivityMethod(name = "JudgeConsistency")
    ConsistencyJudgements judgeConsistency(ConsistencyRequest request);

    /** S6 and online DPO: K responses to one prompt. */
    @ActivityMethod(name = "SampleResponses")
    ResponseSamples sampleResponses(ResponseRequest request);

    /**
     * S6 of several prompts at once (an instruction's queries), their requests concurrent; a retry re-buys nothing an
     * earlier attempt got (each sample is cached). A prompt the endpoint refuses outright gets its error in its item;
     * a transient failure of any prompt fails the batch, for Temporal to retry.
     */
    @ActivityMethod(name = "SampleResponseBatch")
    ResponseBatch sampleResponseBatch(ResponseBatchRequest request);

    /** S8: the quality judge's scores and analyses for each response to one prompt (the responses' requests concurrent). */
    @ActivityMethod(name = "JudgeResponses")
    JudgeVerdicts judgeResponses(JudgeRequest request);

    /** S8 as {@link #judgeResponses}, of responses S6's activity stored (see {@link StoredResponses}). */
    @ActivityMethod(name = "JudgeStoredResponses")
    JudgeVerdicts judgeStoredResponses(StoredJudgeRequest request);
}
