package dev.autoif.workflows.activities.store;

import dev.autoif.workflows.activities.llm.ResponseSample;
import dev.autoif.workflows.dataset.PreferencePair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One (instruction, query) prompt of Stage 2, stored on its own: the SFT prompt it becomes, its K responses with
 * their fates (S6 to S8), and its DPO pairs (D1).
 *
 * @param promptIndex which of the instruction's drawn queries (0-based)
 * @param error       why a stage of this prompt failed after all retries, else null
 */
public record PromptRecord(int instructionIndex, String instructionId, int promptIndex, String query, String prompt,
                           List<ResponseRecord> responses, List<PreferencePair> pairs, String error) {

    /**
     * This record as it is stored, from the one an instruction sent while its responses stayed in the store (response
     * texts null, pairs holding digests; see {@link RecordPromptRequest#responsesInStore}) and the responses S6's
     * activity stored, in order.
     *
     * @throws IllegalArgumentException when the stored responses are not the ones the record was made of
     */
    public PromptRecord withResponses(List<ResponseSample> stored) {
        if (stored.size() != responses.size()) {
            throw new IllegalArgumentException(stored.size() + " stored responses for a record of " + responses.size());
        }
        Map<String, String> textByDigest = new HashMap<>();
        List<ResponseRecord> filled = new ArrayList<>();
        for (int i = 0; i < stored.size(); i++) {
            ResponseSample s = stored.get(i);
            textByDigest.put(s.digest(), s.text());
            filled.add(responses.get(i).withText(s.text()));
        }
        List<PreferencePair> resolved = new ArrayList<>();
        for (PreferencePair p : pairs) {
            String chosen = textByDigest.get(p.chosen());
            String rejected = textByDigest.get(p.rejected());
            if (chosen == null || rejected == null) {
                throw new IllegalArgumentException("a pair of prompt " + promptIndex + " names a response not stored");
            }
            resolved.add(new PreferencePair(p.instructionId(), p.prompt(), chosen, rejected, p.chosenPassRate(),
                    p.rejectedPassRate(), p.kind()));
        }
        return new PromptRecord(instructionIndex, instructionId, promptIndex, query, prompt, filled, resolved, error);
    }
}
