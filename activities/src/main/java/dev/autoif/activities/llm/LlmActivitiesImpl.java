package dev.autoif.activities.llm;

import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.activities.LlmActivities;
import dev.autoif.workflows.activities.VerifierCompletions;
import dev.autoif.workflows.activities.VerifierRequest;
import dev.autoif.workflows.activities.VerifierSample;
import dev.autoif.workflows.campaign.LlmSettings;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;

public class LlmActivitiesImpl implements LlmActivities {
    private final LlmGateway gateway;
    private final LlmDefaults defaults;

    public LlmActivitiesImpl(LlmGateway gateway, LlmDefaults defaults) {
        this.gateway = gateway;
        this.defaults = defaults;
    }

    @Override
    public VerifierCompletions generateVerifiers(VerifierRequest request) {
        ChatCall call = resolve(request.llm(), VerifierPrompt.forInstruction(request.instruction()));
        List<ChatSample> samples = gateway.samples(call, request.samples());
        List<VerifierSample> parsed = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            parsed.add(VerifierParser.parse(i, samples.get(i)));
        }
        return new VerifierCompletions(parsed);
    }

    /** Campaign settings first, the worker's defaults for whatever they leave out. */
    ChatCall resolve(LlmSettings s, String userPrompt) {
        String baseUrl = s.baseUrl() != null ? s.baseUrl() : defaults.baseUrl();
        String model = s.model() != null ? s.model() : defaults.model();
        if (baseUrl == null || baseUrl.isBlank()) {
            throw ApplicationFailure.newNonRetryableFailure("no LLM endpoint: set OPENAI_BASE_URL on the worker or "
                    + "'supervision.baseUrl' in the campaign", FailureTypes.LLM_NOT_FOUND);
        }
        if (model == null || model.isBlank()) {
            throw ApplicationFailure.newNonRetryableFailure("no model name: set OPENAI_MODEL on the worker or "
                    + "'supervision.model' in the campaign", FailureTypes.LLM_NOT_FOUND);
        }
        String apiKey = defaults.apiKey();
        if (s.apiKeyEnv() != null) {
            apiKey = System.getenv(s.apiKeyEnv());
            if (apiKey == null) {
                throw ApplicationFailure.newNonRetryableFailure("the campaign names apiKeyEnv '" + s.apiKeyEnv()
                        + "' but the worker has no such environment variable", FailureTypes.LLM_AUTH);
            }
        }
        return new ChatCall(baseUrl, apiKey, model, List.of(new ChatCall.Message("user", userPrompt)),
                s.temperature(), s.topP(), s.maxTokens(), s.seed() == null ? 0L : s.seed());
    }
}
