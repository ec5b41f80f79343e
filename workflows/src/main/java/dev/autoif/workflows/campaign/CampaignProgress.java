package dev.autoif.workflows.campaign;

import dev.autoif.workflows.instruction.ResponseFunnel;
import java.util.Map;

/**
 * The campaign at a glance (query {@code progress}).
 *
 * @param done                      instructions finished (kept or dropped) of {@code total}
 * @param inFlight                  instruction workflows running now
 * @param droppedByReason           instructions dropped, by drop reason
 * @param responses                 Stage 2 responses sampled so far
 * @param responsesDroppedByReason  Stage 2 responses dropped, by reason
 * @param tokens                    prompt plus completion tokens of every LLM call so far
 * @param costUsd                   what the priced calls cost so far, null without prices
 * @param elapsedSeconds            since the campaign started (across continue-as-new)
 * @param etaSeconds                the rest at the pace so far, null before the first instruction finishes or once
 *                                  the campaign stopped drawing or while it is paused
 * @param paused                    set by the {@code pause} update, cleared by {@code resume}
 * @param maxConcurrentInstructions the window now in force
 * @param stopReason                why drawing stopped (target, budget, {@code stopDrawing}), or null
 * @param approval                  with approveBeforeStage2: {@code WAITING_FOR_APPROVAL} once Stage 1 is done and
 *                                  exported, then {@code APPROVED} (Stage 2 runs) or {@code REJECTED}; null before
 */
public record CampaignProgress(int done, int total, int inFlight, int kept, Map<String, Integer> droppedByReason,
                               long responses, long sftRows, long dpoPairs, Map<String, Long> responsesDroppedByReason,
                               long tokens, Double costUsd, long elapsedSeconds, Long etaSeconds, boolean paused,
                               int maxConcurrentInstructions, String stopReason, String approval) {

    static CampaignProgress of(Funnel f, int inFlight, CampaignControl control, int window, long nowMillis) {
        long elapsed = Math.max(0, (nowMillis - control.startedAtMillis()) / 1000);
        Long eta = f.finished() == 0 || f.stopReason() != null || control.paused()
                || control.waitingForApproval() ? null
                : Math.round((double) elapsed / f.finished() * (f.instructions() - f.finished()));
        ResponseFunnel r = f.responses();
        return new CampaignProgress(f.finished(), f.instructions(), inFlight, f.kept(), f.droppedByReason(),
                r.responses(), r.sftRows(), r.dpoPairs(), r.droppedByReason(), f.totalTokens(), f.llmCostUsd(), elapsed,
                eta, control.paused(), window, f.stopReason(), control.approval());
    }
}
