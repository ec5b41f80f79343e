package dev.autoif.activities.artifacts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemArtifactStoreTest extends ArtifactStoreContract {
    @TempDir
    Path dir;

    @Override
    protected ArtifactStore store() {
        return new FileSystemArtifactStore(dir);
    }

    @Test
    void keysCannotLeaveTheRoot() {
        FileSystemArtifactStore store = new FileSystemArtifactStore(dir.resolve("campaign"));
        assertThrows(IllegalArgumentException.class, () -> store.writeString("../other/funnel.json", "{}"));
        assertThrows(IllegalArgumentException.class, () -> store.find("/etc/passwd"));
    }

    @Test
    void noTempFileIsLeftBehind() throws IOException {
        ArtifactStore store = store();
        store.writeString("a/b.json", "1");
        try (var out = store.create("a/c.json")) {
            out.write(1);
        }
        try (Stream<Path> files = Files.list(dir.resolve("a"))) {
            assertEquals(java.util.List.of("b.json"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void locationsOpenTheRightBackend() {
        ArtifactStores stores = ArtifactStores.filesystemOnly();
        assertInstanceOf(FileSystemArtifactStore.class, stores.open(dir.toString()));
        assertEquals(dir.toAbsolutePath().normalize().toString(), stores.open(dir.toUri().toString()).location());
        var e = assertThrows(IllegalArgumentException.class, () -> stores.open("s3://bucket/prefix"));
        assertTrue(e.getMessage().contains("no backend for 's3://'"), e.getMessage());
        assertNull(ArtifactStores.scheme("C:\\data"));
        assertEquals("s3", ArtifactStores.scheme("S3://b/p"));
    }

    @Test
    void anObjectIsOpenedByItsFullLocation() {
        ArtifactStores stores = ArtifactStores.filesystemOnly();
        new FileSystemArtifactStore(dir).writeString("inputs/seeds.jsonl", "{}");
        ArtifactStores.StoredObject seeds = stores.object(dir.resolve("inputs/seeds.jsonl").toString());
        assertEquals("seeds.jsonl", seeds.key());
        assertEquals("{}", seeds.store().readString(seeds.key()));
        assertEquals(dir.resolve("inputs/seeds.jsonl").toAbsolutePath().normalize().toString(), seeds.location());
        assertEquals(Path.of("x.jsonl").toAbsolutePath().toString(), stores.object("x.jsonl").location());
        assertThrows(IllegalArgumentException.class, () -> stores.object(dir + "/"));
        assertThrows(IllegalArgumentException.class, () -> stores.object("s3://bucket"));
    }
}
