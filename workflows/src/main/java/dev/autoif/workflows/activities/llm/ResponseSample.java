package dev.autoif.workflows.activities.llm;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One sampled response; {@code finishReason} "length" means the token cap cut it off.
 *
 * @param text   the response, or null when the activity stored it in the campaign (see
 *               {@link ResponseBatchRequest#storeResponsesAt}) and returns only its digest
 * @param digest the text's {@link #digestOf digest} when the text stays in the store, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL) // a response travels as text or as digest, never both: no nulls on the wire
public record ResponseSample(String text, String finishReason, String digest) {

    public ResponseSample(String text, String finishReason) {
        this(text, finishReason, null);
    }

    public boolean truncated() {
        return "length".equals(finishReason);
    }

    /** This sample as it is stored: its text and the text's digest. */
    public ResponseSample withDigest() {
        return new ResponseSample(text, finishReason, text == null ? null : digestOf(text));
    }

    /** This sample as an activity returns it when its text stays in the store: the digest alone. */
    public ResponseSample withoutText() {
        return new ResponseSample(null, finishReason, digest != null ? digest : withDigest().digest());
    }

    /**
     * The first 128 bits of the SHA-256 of the text's UTF-8 bytes, in hex: it tells apart the responses to one prompt
     * (a handful to hundreds) with room to spare, in half the bytes of the whole hash.
     */
    public static String digestOf(String text) {
        try {
            byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha256, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** What tells two responses apart: the text, or its digest when the text is in the store. */
    public String identity() {
        return text != null ? text : digest;
    }
}
