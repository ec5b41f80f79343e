package dev.autoif.worker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.autoif.workflows.WireFormat;
import dev.autoif.workflows.campaign.CampaignConfig;
import dev.autoif.workflows.campaign.CampaignInput;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Reads campaign JSON on the client side with the same strict rules the workflow applies. */
final class CampaignFiles {
    static final String DEMO_RESOURCE = "/examples/demo-campaign.json";

    private CampaignFiles() {}

    /** @throws IllegalArgumentException naming the field or position that is wrong */
    static CampaignInput parse(String json, String source) {
        CampaignInput input;
        try {
            input = WireFormat.objectMapper().readValue(json, CampaignInput.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
        }
        if (input != null && input.resume() != null) {
            throw new IllegalArgumentException(source + ": 'resume' is internal and cannot be set by hand");
        }
        try {
            CampaignConfig.from(input);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage());
        }
        return input;
    }

    static String demoCampaign() {
        try (InputStream in = CampaignFiles.class.getResourceAsStream(DEMO_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(DEMO_RESOURCE + " missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Same campaign file, same ID: re-running attaches to (or re-reads) the earlier campaign. */
    static String defaultCampaignId(String json) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
            return "campaign-" + HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
