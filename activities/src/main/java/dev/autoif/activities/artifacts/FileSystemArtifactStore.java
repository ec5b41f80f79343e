package dev.autoif.activities.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;

/**
 * Artifacts as files under a directory: one host, or a mount the operator has declared shared by every worker.
 * Writes go to a sibling temp file that is renamed into place, so readers never see half a file.
 */
public final class FileSystemArtifactStore implements ArtifactStore {
    private final Path root;

    public FileSystemArtifactStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** The file behind a key; it refuses keys that would leave the root ("../x", "/etc/passwd"). */
    public Path path(String key) {
        Path file = root.resolve(key).normalize();
        if (!file.startsWith(root) || file.equals(root)) {
            throw new IllegalArgumentException("artifact key '" + key + "' leaves the store root " + root);
        }
        return file;
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public String location(String key) {
        return path(key).toString();
    }

    @Override
    public ArtifactStore under(String prefix) {
        return new FileSystemArtifactStore(path(prefix));
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(path(key));
    }

    @Override
    public Optional<byte[]> find(String key) {
        try {
            return Optional.of(Files.readAllBytes(path(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + location(key) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Instant> modified(String key) {
        try {
            return Optional.of(Files.getLastModifiedTime(path(key)).toInstant());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + location(key) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(String key) {
        try {
            return Files.newInputStream(path(key));
        } catch (NoSuchFileException e) {
            throw new ArtifactNotFoundException(location(key));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + location(key) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void write(String key, byte[] content) {
        try (ArtifactOutput out = create(key)) {
            out.write(content);
            out.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + location(key) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public ArtifactOutput create(String key) {
        Path target = path(key);
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            return new TempFileOutput(tmp, target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private static final class TempFileOutput extends ArtifactOutput {
        private final Path tmp;
        private final Path target;
        private final OutputStream out;
        private boolean done;

        TempFileOutput(Path tmp, Path target) throws IOException {
            this.tmp = tmp;
            this.target = target;
            this.out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void commit() throws IOException {
            if (done) {
                return;
            }
            out.close();
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        }

        @Override
        public void close() throws IOException {
            if (!done) {
                done = true;
                try {
                    out.close();
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        }
    }
}
