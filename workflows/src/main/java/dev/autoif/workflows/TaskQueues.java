package dev.autoif.workflows;

/**
 * Task queue names: one per resource, so LLM calls, sandbox containers and orchestration can be
 * sized and scaled apart. They are part of the CLI contract ({@code temporal workflow start
 * --task-queue autoif-workflows ...}).
 */
public final class TaskQueues {
    /** Workflows and the light artifact-store activities. */
    public static final String WORKFLOWS = "autoif-workflows";
    /** Calls to the user's LLM endpoints. */
    public static final String LLM = "autoif-llm";
    /** Verifier execution in throwaway Docker containers. */
    public static final String SANDBOX = "autoif-sandbox";
    /** Online DPO training rounds: external commands, usually on a GPU host (one at a time per worker). */
    public static final String TRAINING = "autoif-training";
    /** S5 with the worker's ONNX NLI model (consistency "onnx"): CPU-heavy, so it can run on hosts of its own. */
    public static final String NLI = "autoif-nli";

    /** Every queue, in the order a worker lists them. */
    public static final java.util.List<String> ALL = java.util.List.of(WORKFLOWS, LLM, SANDBOX, NLI, TRAINING);

    private TaskQueues() {}
}
