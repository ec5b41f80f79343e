package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.activities.llm.NliJudgement;
import java.util.List;

/**
 * S4 and S5 for one kept function.
 *
 * @param instructions what the model said the function checks (empty if its answer was unparseable)
 * @param parseError   why S4's answer was unparseable, null if it was not
 * @param judgements   S5's label for each of {@code instructions}
 */
public record BackTranslationRecord(String func, Double accuracy, List<String> instructions, String parseError,
                                    List<NliJudgement> judgements) {}
