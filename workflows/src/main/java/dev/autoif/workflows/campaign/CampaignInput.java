package dev.autoif.workflows.campaign;

import java.util.List;

/**
 * A campaign, as written in the JSON a user passes to {@code temporal workflow start --input-file}.
 * Unknown fields are rejected. Optional fields may be left out; see {@link CampaignConfig} for
 * the defaults.
 *
 * @param seedInstructions          seed instructions inline (one of this or seedFile)
 * @param seedFile                  path, as the worker sees it, of a file with one instruction per line
 * @param supervision               the model that writes verifiers
 * @param verifiersPerInstruction   K completions asked per instruction in S2 (default 8)
 * @param preset                    "reference" (default) or "paper"
 * @param outputDir                 where the JSONL files go (default: the worker's data dir / campaign id)
 * @param maxConcurrentInstructions instruction workflows running at once (default 20)
 * @param evaluationTimeoutSeconds  per verifier call in the sandbox (default 5)
 * @param resume                    internal: set by continue-as-new, never by users
 */
public record CampaignInput(
        List<String> seedInstructions,
        String seedFile,
        LlmSettings supervision,
        Integer verifiersPerInstruction,
        String preset,
        String outputDir,
        Integer maxConcurrentInstructions,
        Integer evaluationTimeoutSeconds,
        CampaignCheckpoint resume) {}
