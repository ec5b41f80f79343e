package dev.autoif.workflows.activities.llm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One sampled response; {@code finishReason} "length" means the token cap cut it off.
 *
 * @param text   the response, or null when the activity stored it in the campaign (see
 *               {@link ResponseBatchRequest#storeResponsesAt}) and returns only its digest
 * @param digest the SHA-256 of the text (hex) when the text stays in the store, else null
 */
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

    /** SHA-256 of the text's UTF-8 bytes, in hex. */
    public static String digestOf(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** What tells two responses apart: the text, or its digest when the text is in the store. */
    public String identity() {
        return text != null ? text : digest;
    }
}
