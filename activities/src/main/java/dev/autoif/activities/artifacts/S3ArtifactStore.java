package dev.autoif.activities.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Artifacts as objects under {@code s3://bucket/prefix} on any S3-compatible server. A single PUT replaces an object at
 * once, and a streaming write becomes visible only when its multipart upload completes, so readers never see half an
 * object. Keys map one to one to object names ("prefix/key"); nothing lists.
 */
public final class S3ArtifactStore implements ArtifactStore {
    /**
     * A streaming write holds at most this much in memory: one part of a multipart upload (S3's smallest part, but
     * for the last, is 5 MiB). An object that fits is sent in one PUT.
     */
    public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;
    private static final int MIN_PART_SIZE = 5 * 1024 * 1024;

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final String server;
    private final int partSize;

    S3ArtifactStore(S3Client s3, String bucket, String prefix, String server, int partSize) {
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("part size " + partSize + " is below S3's minimum of " + MIN_PART_SIZE);
        }
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.server = server;
        this.partSize = partSize;
    }

    /** {@code s3://bucket} or {@code s3://bucket/prefix} (slashes at either end of the prefix do not matter). */
    static S3ArtifactStore open(S3Client s3, String location, String server) {
        String rest = location.substring(location.indexOf("://") + 3);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        if (bucket.isBlank()) {
            throw new IllegalArgumentException("'" + location + "' names no bucket: write s3://bucket/prefix");
        }
        String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("^/+|/+$", "");
        return new S3ArtifactStore(s3, bucket, prefix, server, DEFAULT_PART_SIZE);
    }

    /** This store with another multipart part size (tests make uploads of a few parts cheaply). */
    S3ArtifactStore withPartSize(int bytes) {
        return new S3ArtifactStore(s3, bucket, prefix, server, bytes);
    }

    public String bucket() {
        return bucket;
    }

    /** The object name of a key; it refuses keys that would not stay under the prefix ("../x", "/x", "a//b"). */
    String objectKey(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")
                || Arrays.stream(key.split("/", -1)).anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
            throw new IllegalArgumentException("artifact key '" + key + "' is not a relative path under " + location());
        }
        return prefix.isEmpty() ? key : prefix + "/" + key;
    }

    @Override
    public String location() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    @Override
    public String location(String key) {
        return "s3://" + bucket + "/" + objectKey(key);
    }

    @Override
    public ArtifactStore under(String prefix) {
        return new S3ArtifactStore(s3, bucket, objectKey(prefix.replaceAll("^/+|/+$", "")), server, partSize);
    }

    @Override
    public boolean exists(String key) {
        try {
            s3.headObject(r -> r.bucket(bucket).key(objectKey(key)));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (SdkException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public Optional<byte[]> find(String key) {
        try {
            return Optional.of(s3.getObjectAsBytes(r -> r.bucket(bucket).key(objectKey(key))).asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public Optional<Instant> modified(String key) {
        try {
            return Optional.of(s3.headObject(r -> r.bucket(bucket).key(objectKey(key))).lastModified());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public InputStream open(String key) {
        try {
            return s3.getObject(r -> r.bucket(bucket).key(objectKey(key)));
        } catch (NoSuchKeyException e) {
            throw new ArtifactNotFoundException(location(key));
        } catch (SdkException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public void write(String key, byte[] content) {
        try {
            s3.putObject(r -> r.bucket(bucket).key(objectKey(key)), RequestBody.fromBytes(content));
        } catch (SdkException e) {
            throw failure("write", key, e);
        }
    }

    @Override
    public ArtifactOutput create(String key) {
        return new UploadOutput(key, objectKey(key));
    }

    /**
     * Writes, reads back and deletes a probe object under the prefix: the bucket exists and these credentials may
     * write and read there. Throws {@link StoreUnavailableException} naming what failed.
     */
    public void probe(String probeKey) {
        byte[] marker = ("autoif store check " + System.nanoTime()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        write(probeKey, marker);
        if (!Arrays.equals(marker, read(probeKey))) {
            throw new StoreUnavailableException("wrote " + location(probeKey) + " on " + server
                    + " but read back other content (is another process writing it?)", null);
        }
        try {
            s3.deleteObject(r -> r.bucket(bucket).key(objectKey(probeKey)));
        } catch (SdkException e) {
            throw failure("delete", probeKey, e);
        }
    }

    /**
     * One line naming the object, the server and the cause a user can act on: no such bucket, refused credentials,
     * an unreachable endpoint.
     */
    private StoreUnavailableException failure(String action, String key, SdkException e) {
        String where = location(key) + " on " + server;
        String why;
        if (e instanceof NoSuchBucketException || errorCode(e).equals("NoSuchBucket")) {
            why = "no such bucket '" + bucket + "' (create it, or fix AUTOIF_STORE)";
        } else if (e instanceof S3Exception s3e && (s3e.statusCode() == 403 || s3e.statusCode() == 401)) {
            why = "the credentials were refused for bucket '" + bucket + "' (" + errorCode(e) + "; check "
                    + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and the bucket's policy)";
        } else if (e instanceof SdkClientException && causedBy(e, ConnectException.class, UnknownHostException.class,
                java.net.SocketTimeoutException.class, org.apache.http.conn.ConnectTimeoutException.class)) {
            why = "the endpoint does not answer (" + rootMessage(e) + "; check AUTOIF_S3_ENDPOINT)";
        } else if (e instanceof SdkClientException && String.valueOf(e.getMessage()).contains("credentials")) {
            why = "no S3 credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an AWS profile)";
        } else if (e instanceof S3Exception s3e) {
            why = "HTTP " + s3e.statusCode() + " " + errorCode(e)
                    + (s3e.awsErrorDetails() != null && s3e.awsErrorDetails().errorMessage() != null
                    ? " (" + s3e.awsErrorDetails().errorMessage() + ")" : "");
        } else {
            why = rootMessage(e);
        }
        return new StoreUnavailableException("cannot " + action + " " + where + ": " + why, e);
    }

    private static String errorCode(SdkException e) {
        return e instanceof S3Exception s3e && s3e.awsErrorDetails() != null && s3e.awsErrorDetails().errorCode() != null
                ? s3e.awsErrorDetails().errorCode() : "";
    }

    @SafeVarargs
    private static boolean causedBy(Throwable e, Class<? extends Throwable>... types) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            for (Class<? extends Throwable> type : types) {
                if (type.isInstance(c)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.getClass().getSimpleName() : message.strip();
    }

    /** The object store failed or refused; the message is one line naming the object, the server and the cause. */
    public static final class StoreUnavailableException extends UncheckedIOException {
        StoreUnavailableException(String message, Throwable cause) {
            super(message, new IOException(message, cause));
        }
    }

    /**
     * A streaming write: bytes gather in one part-sized buffer; a full buffer starts (or continues) a multipart
     * upload. {@link #commit()} sends what is left in one PUT, or completes the upload; {@link #close()} without it
     * aborts the upload, so the object keeps its previous content (or stays absent).
     */
    private final class UploadOutput extends ArtifactOutput {
        private final String key;
        private final String objectKey;
        private final byte[] buffer = new byte[partSize];
        private int buffered;
        private String uploadId;
        private final List<CompletedPart> parts = new ArrayList<>();
        private boolean done;

        UploadOutput(String key, String objectKey) {
            this.key = key;
            this.objectKey = objectKey;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (done) {
                throw new IOException("write to " + location(key) + " after commit or close");
            }
            while (len > 0) {
                int n = Math.min(len, buffer.length - buffered);
                System.arraycopy(b, off, buffer, buffered, n);
                buffered += n;
                off += n;
                len -= n;
                if (buffered == buffer.length) {
                    uploadPart();
                }
            }
        }

        private void uploadPart() throws IOException {
            try {
                if (uploadId == null) {
                    uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(objectKey)).uploadId();
                }
                int number = parts.size() + 1;
                String etag = s3.uploadPart(r -> r.bucket(bucket).key(objectKey).uploadId(uploadId).partNumber(number),
                        RequestBody.fromBytes(Arrays.copyOf(buffer, buffered))).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                buffered = 0;
            } catch (SdkException e) {
                throw new IOException(failure("write", key, e).getMessage(), e);
            }
        }

        @Override
        public void commit() throws IOException {
            if (done) {
                return;
            }
            try {
                if (uploadId == null) {
                    s3.putObject(r -> r.bucket(bucket).key(objectKey), RequestBody.fromBytes(Arrays.copyOf(buffer, buffered)));
                } else {
                    if (buffered > 0) {
                        uploadPart();
                    }
                    s3.completeMultipartUpload(r -> r.bucket(bucket).key(objectKey).uploadId(uploadId)
                            .multipartUpload(u -> u.parts(parts)));
                }
                done = true;
            } catch (SdkException e) {
                throw new IOException(failure("write", key, e).getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            if (done) {
                return;
            }
            done = true;
            if (uploadId != null) {
                try {
                    s3.abortMultipartUpload(r -> r.bucket(bucket).key(objectKey).uploadId(uploadId));
                } catch (SdkException e) {
                    // The parts are invisible either way; a bucket lifecycle rule removes abandoned uploads.
                    throw new IOException(failure("abort the upload of", key, e).getMessage(), e);
                }
            }
        }
    }
}
