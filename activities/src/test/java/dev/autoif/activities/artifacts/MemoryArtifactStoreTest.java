package dev.autoif.activities.artifacts;

/** The test double other tests use as a store with no file system behind it keeps the contract too. */
class MemoryArtifactStoreTest extends ArtifactStoreContract {
    @Override
    protected ArtifactStore store() {
        return new MemoryArtifactStore("mem://bucket/prefix", MemoryArtifactStore.newObjects());
    }
}
