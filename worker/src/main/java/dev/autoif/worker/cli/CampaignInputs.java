package dev.autoif.worker.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.ArtifactStores;
import dev.autoif.worker.StoreSettings;
import dev.autoif.workflows.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Inputs travel through the store: the client that starts a campaign uploads the files its JSON names on this machine
 * (the seed file, the query file) to the artifact store, content-addressed as {@code inputs/sha256-<hex>-<name>}, and
 * names the objects instead, so that a worker on any host reads the same bytes. The same content is uploaded once.
 */
public final class CampaignInputs {
    /** The campaign fields that name an input file. */
    static final List<String> FIELDS = List.of("seedFile", "queryFile");

    /** One input: where it came from, the object that holds it, and whether this call wrote that object. */
    public record Upload(String field, Path file, String location, boolean written) {}

    /** The campaign JSON naming the objects, and what was uploaded. */
    public record Uploaded(String json, List<Upload> uploads) {}

    private CampaignInputs() {}

    /**
     * @param json a campaign whose local input paths are absolute ({@link CampaignFiles#resolvePaths}); a field that
     *             already names a store location ({@code s3://...}) stays as it is
     * @throws IllegalArgumentException naming a field whose file cannot be read
     */
    public static Uploaded upload(String json, ArtifactStore root) throws IOException {
        ObjectNode tree = (ObjectNode) WireFormat.objectMapper().readTree(json);
        List<Upload> uploads = new ArrayList<>();
        for (String field : FIELDS) {
            if (!tree.hasNonNull(field)) continue;
            Path file = localFile(tree.get(field).asText());
            if (file == null) continue;
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(field + ": no such file " + file);
            }
            String key = "inputs/sha256-" + sha256(file) + "-" + safeName(file.getFileName().toString());
            boolean written = !root.exists(key);
            if (written) {
                try (ArtifactStore.ArtifactOutput out = root.create(key)) {
                    Files.copy(file, out);
                    out.commit();
                }
            }
            tree.put(field, root.location(key));
            uploads.add(new Upload(field, file, root.location(key), written));
        }
        return new Uploaded(WireFormat.objectMapper().writeValueAsString(tree), uploads);
    }

    /**
     * The campaign as the workers must see it: with a store every worker reaches (S3, or a directory declared
     * shared), its input files uploaded and named by their objects (each printed to {@code out}); with a local store,
     * as it is (its paths are this host's, where {@code run}'s own worker reads them).
     */
    static String forWorkers(String resolvedJson, StoreSettings store, PrintStream out) throws IOException {
        if (!store.reachableByEveryWorker()) {
            return resolvedJson;
        }
        Uploaded uploaded = upload(resolvedJson, store.open());
        for (Upload u : uploaded.uploads()) {
            out.println("Input " + u.field() + ": " + u.file() + " -> " + u.location()
                    + (u.written() ? "" : " (already in the store)"));
        }
        return uploaded.json();
    }

    /** Whether the campaign's {@code field} names a file on this machine (rather than nothing, or a store object). */
    static boolean namesLocalFile(String json, String field) {
        try {
            var value = WireFormat.objectMapper().readTree(json).get(field);
            return value != null && !value.isNull() && localFile(value.asText()) != null;
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The file a path or {@code file://} URI names; null for a store object ({@code s3://...}). */
    private static Path localFile(String value) {
        String scheme = ArtifactStores.scheme(value);
        return scheme == null ? Path.of(value) : scheme.equals("file") ? Path.of(java.net.URI.create(value)) : null;
    }

    /** The file name as a key segment: letters, digits, '.', '_' and '-' (anything else becomes '_'). */
    static String safeName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
