package dev.autoif.workflows;

import io.temporal.common.SearchAttributeKey;
import java.util.List;

/**
 * The few search attributes the product uses (SQL visibility allows only 10 Keyword attributes
 * per namespace). They must be registered on the server before any workflow sets them, or every
 * workflow task fails; the worker registers them at start-up.
 */
public final class SearchAttributes {
    public static final SearchAttributeKey<String> CAMPAIGN = SearchAttributeKey.forKeyword("AutoifCampaign");
    /** The stage an instruction is in: a {@link Stage} name (S2 to S5), {@link #STAGE_RESPONSES} or {@link #STAGE_DONE}. */
    public static final SearchAttributeKey<String> STAGE = SearchAttributeKey.forKeyword("AutoifStage");
    /** {@link #STAGE} while the instruction's Stage 2 (S6 to S8) runs. */
    public static final String STAGE_RESPONSES = "S6-S8";
    /** {@link #STAGE} once the instruction finished. */
    public static final String STAGE_DONE = "done";
    /** "kept" or "dropped". */
    public static final SearchAttributeKey<String> OUTCOME = SearchAttributeKey.forKeyword("AutoifOutcome");
    /** A {@link DropReason} name, set only on dropped instructions. */
    public static final SearchAttributeKey<String> DROP_REASON = SearchAttributeKey.forKeyword("AutoifDropReason");

    public static final List<SearchAttributeKey<String>> ALL = List.of(CAMPAIGN, STAGE, OUTCOME, DROP_REASON);

    private SearchAttributes() {}
}
