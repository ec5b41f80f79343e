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
    /** The demo's queries, named in the demo campaign by their path in the repository. */
    static final String DEMO_QUERIES = "examples/demo-queries.jsonl";

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
        if (input != null && input.legacyResume() != null) {
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

    /**
     * Campaign files name paths as the user sees them; the worker started by {@code run} must find them from
     * anywhere. A relative {@code seedFile} or {@code queryFile} is made absolute against the working directory; the
     * bundled demo's query file, when it is not on disk, is unpacked from the jar into the data directory.
     */
    static String resolvePaths(String json, boolean bundledDemo, java.nio.file.Path dataDir) throws IOException {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) WireFormat.objectMapper().readTree(json);
        for (String field : new String[] {"seedFile", "queryFile"}) {
            if (!tree.hasNonNull(field)) continue;
            java.nio.file.Path path = java.nio.file.Path.of(tree.get(field).asText());
            if (bundledDemo && field.equals("queryFile") && path.toString().equals(DEMO_QUERIES) && !java.nio.file.Files.exists(path)) {
                java.nio.file.Path unpacked = dataDir.resolve(DEMO_QUERIES);
                java.nio.file.Files.createDirectories(unpacked.getParent());
                try (InputStream in = CampaignFiles.class.getResourceAsStream("/" + DEMO_QUERIES)) {
                    if (in == null) throw new IllegalStateException(DEMO_QUERIES + " missing from the jar");
                    java.nio.file.Files.copy(in, unpacked, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                path = unpacked;
            }
            tree.put(field, path.toAbsolutePath().toString());
        }
        return WireFormat.objectMapper().writeValueAsString(tree);
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
