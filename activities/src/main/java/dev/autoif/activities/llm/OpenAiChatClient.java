package dev.autoif.activities.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.workflows.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One HTTP call to {@code POST {baseUrl}/chat/completions}. It never retries: every failure
 * becomes an {@link ApplicationFailure} whose type and retryability tell Temporal, the only retry
 * layer, what to do — and whose message tells the user what to fix.
 */
public final class OpenAiChatClient {
    private static final int BODY_EXCERPT = 500;

    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Duration requestTimeout;

    public OpenAiChatClient(Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    public ChatResponse complete(ChatCall call, int n) {
        String url = call.baseUrl().replaceAll("/+$", "") + "/chat/completions";
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestBody(call, n)));
        if (call.apiKey() != null && !call.apiKey().isBlank()) {
            request.header("Authorization", "Bearer " + call.apiKey());
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw ApplicationFailure.newFailure("LLM endpoint " + url + " did not answer within " + requestTimeout.toSeconds()
                    + " s", FailureTypes.LLM_UNAVAILABLE);
        } catch (IOException e) {
            throw ApplicationFailure.newFailure("LLM endpoint " + url + " unreachable: " + e, FailureTypes.LLM_UNAVAILABLE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted while calling " + url, FailureTypes.LLM_UNAVAILABLE);
        }
        int status = response.statusCode();
        if (status != 200) {
            throw failureFor(status, url, call.model(), response);
        }
        return parse(url, response.body());
    }

    private String requestBody(ChatCall call, int n) {
        ObjectNode body = json.createObjectNode();
        body.put("model", call.model());
        ArrayNode messages = body.putArray("messages");
        for (ChatCall.Message m : call.messages()) {
            messages.addObject().put("role", m.role()).put("content", m.content());
        }
        body.put("n", n);
        body.put("seed", call.seed());
        if (call.temperature() != null) body.put("temperature", call.temperature());
        if (call.topP() != null) body.put("top_p", call.topP());
        if (call.maxTokens() != null) body.put("max_tokens", call.maxTokens());
        if (call.schema() != null) {
            ObjectNode format = body.putObject("response_format").put("type", call.schema().dialect());
            try {
                JsonNode schema = json.readTree(call.schema().schemaJson());
                if (ChatCall.ResponseSchema.JSON_OBJECT.equals(call.schema().dialect())) {
                    format.set("schema", schema);
                } else {
                    format.putObject("json_schema").put("name", call.schema().name()).set("schema", schema);
                }
            } catch (IOException e) {
                throw new IllegalStateException("the JSON schema of " + call.schema().name() + " is not JSON", e);
            }
        }
        return body.toString();
    }

    private ChatResponse parse(String url, String body) {
        try {
            JsonNode root = json.readTree(body);
            JsonNode choices = root.path("choices");
            if (!choices.isArray()) {
                throw new IOException("no 'choices' array");
            }
            List<ChatSample> samples = new ArrayList<>();
            for (JsonNode choice : choices) {
                JsonNode content = choice.path("message").path("content");
                JsonNode finish = choice.path("finish_reason");
                samples.add(new ChatSample(content.isTextual() ? content.asText() : "",
                        finish.isTextual() && !finish.asText().isBlank() ? finish.asText() : null));
            }
            JsonNode usage = root.path("usage");
            boolean reported = usage.isObject() && usage.path("completion_tokens").isNumber();
            return new ChatResponse(samples, usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0),
                    reported);
        } catch (IOException e) {
            throw ApplicationFailure.newFailure("LLM endpoint " + url + " returned a malformed body (" + e.getMessage()
                    + "): " + excerpt(body), FailureTypes.LLM_UNAVAILABLE);
        }
    }

    private static ApplicationFailure failureFor(int status, String url, String model, HttpResponse<String> response) {
        String body = excerpt(response.body());
        return switch (status) {
            case 401, 403 -> ApplicationFailure.newNonRetryableFailure("LLM endpoint " + url + " refused the API key (HTTP "
                    + status + "): set OPENAI_API_KEY on the worker, or apiKeyEnv in the campaign. Body: " + body,
                    FailureTypes.LLM_AUTH);
            case 404 -> ApplicationFailure.newNonRetryableFailure("LLM endpoint " + url + " answered 404 for model '" + model
                    + "': check the base URL (it usually ends in /v1) and the model name (GET /v1/models lists them). Body: "
                    + body, FailureTypes.LLM_NOT_FOUND);
            case 400, 413, 422 -> ApplicationFailure.newNonRetryableFailure("LLM endpoint " + url + " rejected the request (HTTP "
                    + status + "): check the sampling settings and prompt length. Body: " + body, FailureTypes.LLM_BAD_REQUEST);
            case 429, 503 -> {
                Optional<Duration> delay = retryAfter(response);
                ApplicationFailure f = ApplicationFailure.newFailure("LLM endpoint " + url + " is throttling (HTTP " + status
                        + ")" + delay.map(d -> ", retrying after " + d.toSeconds() + " s").orElse(""), FailureTypes.LLM_RATE_LIMITED);
                delay.ifPresent(f::setNextRetryDelay);
                yield f;
            }
            default -> ApplicationFailure.newFailure("LLM endpoint " + url + " failed (HTTP " + status + "): " + body,
                    FailureTypes.LLM_UNAVAILABLE);
        };
    }

    /** Retry-After as delta-seconds or an HTTP date; capped so a bad header cannot park a campaign. */
    static Optional<Duration> retryAfter(HttpResponse<?> response) {
        Optional<String> header = response.headers().firstValue("Retry-After");
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String value = header.get().trim();
        Duration delay;
        try {
            delay = Duration.ofMillis((long) (Double.parseDouble(value) * 1000));
        } catch (NumberFormatException notSeconds) {
            try {
                delay = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME));
            } catch (RuntimeException notDate) {
                return Optional.empty();
            }
        }
        if (delay.isNegative() || delay.isZero()) {
            delay = Duration.ofSeconds(1);
        }
        Duration cap = Duration.ofMinutes(10);
        return Optional.of(delay.compareTo(cap) > 0 ? cap : delay);
    }

    private static String excerpt(String body) {
        if (body == null) {
            return "";
        }
        return body.length() <= BODY_EXCERPT ? body : body.substring(0, BODY_EXCERPT) + "…";
    }
}
