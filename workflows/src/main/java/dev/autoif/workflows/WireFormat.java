package dev.autoif.workflows;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.JacksonJsonPayloadConverter;
import io.temporal.common.converter.PayloadConverter;
import java.lang.reflect.Type;
import java.util.Optional;

/**
 * How records cross the wire. Strict for what users write ({@link UserInput}: a campaign JSON with an unknown or
 * mistyped field must fail with a message naming it, not be silently half-read), tolerant for everything workflows and
 * activities exchange (unknown fields ignored, missing ones default): records evolve by adding fields, and during a
 * rolling deploy an old workflow worker reads results written by a new activity worker. Client and worker must both
 * use {@link #dataConverter()}.
 */
public final class WireFormat {
    private WireFormat() {}

    /** Strict: for user input (campaign and online-DPO JSON). */
    public static ObjectMapper objectMapper() {
        return new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
                .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);
    }

    /** Tolerant: for records written by another version of this code (payloads, the store's own files). */
    public static ObjectMapper internalObjectMapper() {
        return new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);
    }

    public static DataConverter dataConverter() {
        return DefaultDataConverter.newDefaultInstance().withPayloadConverterOverrides(new StrictForUserInput());
    }

    /** JSON payloads, read strictly when the expected type is {@link UserInput} and tolerantly otherwise. */
    static final class StrictForUserInput implements PayloadConverter {
        private final JacksonJsonPayloadConverter strict = new JacksonJsonPayloadConverter(objectMapper());
        private final JacksonJsonPayloadConverter tolerant = new JacksonJsonPayloadConverter(internalObjectMapper());

        @Override
        public String getEncodingType() {
            return tolerant.getEncodingType();
        }

        @Override
        public Optional<Payload> toData(Object value) throws DataConverterException {
            return tolerant.toData(value);
        }

        @Override
        public <T> T fromData(Payload content, Class<T> valueClass, Type valueType) throws DataConverterException {
            boolean userInput = valueClass != null && valueClass.isAnnotationPresent(UserInput.class);
            return (userInput ? strict : tolerant).fromData(content, valueClass, valueType);
        }
    }
}
