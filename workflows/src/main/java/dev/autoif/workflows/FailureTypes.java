package dev.autoif.workflows;

import java.util.Set;

/**
 * ApplicationFailure types the activities throw. The non-retryable ones name what the user must
 * fix; those in {@link #FATAL_FOR_CAMPAIGN} would fail every instruction the same way, so they
 * stop the campaign instead of dropping item after item.
 */
public final class FailureTypes {
    public static final String INVALID_CAMPAIGN_INPUT = "InvalidCampaignInput";
    /** 401/403: the key is missing or wrong. */
    public static final String LLM_AUTH = "LlmAuthError";
    /** 404: wrong base URL or model name. */
    public static final String LLM_NOT_FOUND = "LlmNotFound";
    /** 400: the endpoint refused this request (too long a prompt, bad parameter). */
    public static final String LLM_BAD_REQUEST = "LlmBadRequest";
    /** 429/503: retried after the delay the server asked for. */
    public static final String LLM_RATE_LIMITED = "LlmRateLimited";
    /** Other 5xx, malformed bodies, timeouts, connection failures: retried with backoff. */
    public static final String LLM_UNAVAILABLE = "LlmUnavailable";
    /** The verifier runtime image is not present on the Docker engine. */
    public static final String SANDBOX_IMAGE_MISSING = "VerifierImageMissing";
    /** The Docker engine does not answer: retried. */
    public static final String SANDBOX_ENGINE_DOWN = "DockerEngineUnreachable";
    /** The worker was interrupted (shutting down) while a batch waited or ran: retried elsewhere. */
    public static final String SANDBOX_INTERRUPTED = "SandboxInterrupted";
    /** The runner printed more than the sandbox's output limit. */
    public static final String SANDBOX_OUTPUT_TOO_LARGE = "SandboxOutputTooLarge";
    /** The runner exited non-zero (killed at the memory limit, say) or printed something unreadable. */
    public static final String SANDBOX_RUNNER_FAILED = "SandboxRunnerFailed";
    /** A batch ran past its deadline. */
    public static final String SANDBOX_DEADLINE_EXCEEDED = "SandboxDeadlineExceeded";
    /** The campaign directory could not be read or written (retryable: disks fill up and get freed). */
    public static final String STORAGE = "StorageError";
    /**
     * The campaign asks for the ONNX NLI judge (consistency "onnx") but the worker has no usable model: none
     * configured (AUTOIF_NLI_MODEL_DIR), or its directory lacks a file or holds a model that cannot be read.
     */
    public static final String NLI_MODEL_UNAVAILABLE = "NliModelUnavailable";

    /** The training command exited with a non-zero status: the failure's details are the exit code and the log's tail. */
    public static final String TRAINING_COMMAND_FAILED = "TrainingCommandFailed";
    /** The training command's executable does not exist or cannot be run. */
    public static final String TRAINING_COMMAND_NOT_FOUND = "TrainingCommandNotFound";
    /** The training command ran past its timeout and was killed. */
    public static final String TRAINING_TIMED_OUT = "TrainingTimedOut";
    /** The training command exited 0 but left nothing in its output directory. */
    public static final String TRAINING_NO_CHECKPOINT = "TrainingWroteNoCheckpoint";
    /** The training worker shut down while the command ran: the round is trained again. */
    public static final String TRAINING_WORKER_SHUTDOWN = "WorkerShutdown";
    /** A DPO round's training step failed in a way without a type of its own. */
    public static final String TRAINING_FAILED = "TrainingFailed";
    /** A DPO round drew no preference pair from its prompts. */
    public static final String NO_DPO_PAIRS = "NoDpoPairs";
    /** An online DPO round failed in a way without a type of its own. */
    public static final String ONLINE_DPO_ROUND_FAILED = "OnlineDpoRoundFailed";

    public static final Set<String> FATAL_FOR_CAMPAIGN = Set.of(LLM_AUTH, LLM_NOT_FOUND, SANDBOX_IMAGE_MISSING,
            NLI_MODEL_UNAVAILABLE);

    private FailureTypes() {}
}
