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
    /** The campaign directory could not be read or written (retryable: disks fill up and get freed). */
    public static final String STORAGE = "StorageError";
    public static final String SANDBOX_ENGINE_DOWN = "DockerEngineUnreachable";
    /**
     * The campaign asks for the ONNX NLI judge (consistency "onnx") but the worker has no usable model: none
     * configured (AUTOIF_NLI_MODEL_DIR), or its directory lacks a file or holds a model that cannot be read.
     */
    public static final String NLI_MODEL_UNAVAILABLE = "NliModelUnavailable";

    public static final Set<String> FATAL_FOR_CAMPAIGN = Set.of(LLM_AUTH, LLM_NOT_FOUND, SANDBOX_IMAGE_MISSING,
            NLI_MODEL_UNAVAILABLE);

    private FailureTypes() {}
}
