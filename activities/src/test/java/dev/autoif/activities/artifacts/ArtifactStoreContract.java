package dev.autoif.activities.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What every backend must do; each backend's test extends this with a fresh, empty store. */
abstract class ArtifactStoreContract {

    /** A fresh, empty store for one test. */
    protected abstract ArtifactStore store();

    @Test
    void aWrittenKeyReadsBackAndAMissingOneIsAbsent() {
        ArtifactStore store = store();
        assertFalse(store.exists("items/000001-ab.json"));
        assertEquals(Optional.empty(), store.find("items/000001-ab.json"));
        store.writeString("items/000001-ab.json", "{\"a\":1}\n");
        assertTrue(store.exists("items/000001-ab.json"));
        assertEquals("{\"a\":1}\n", store.readString("items/000001-ab.json"));
        store.writeString("items/000001-ab.json", "{\"a\":2}\n");
        assertEquals("{\"a\":2}\n", store.readString("items/000001-ab.json"), "a write replaces");
    }

    @Test
    void aKeyTellsWhenItWasWritten() throws Exception {
        ArtifactStore store = store();
        assertEquals(Optional.empty(), store.modified("items/000001-ab.json"));
        // S3 keeps whole seconds: the bounds allow for a truncated time
        Instant before = Instant.now().minusSeconds(1);
        store.writeString("items/000001-ab.json", "{}");
        try (ArtifactStore.ArtifactOutput out = store.create("responses.jsonl")) {
            out.write('\n');
            out.commit();
        }
        Instant after = Instant.now().plus(Duration.ofSeconds(1));
        for (String key : new String[] {"items/000001-ab.json", "responses.jsonl"}) {
            Instant written = store.modified(key).orElseThrow();
            assertTrue(!written.isBefore(before) && !written.isAfter(after), key + " written at " + written);
        }
    }

    @Test
    void aMissingKeyThatMustExistIsNamed() {
        ArtifactStore store = store();
        var e = assertThrows(ArtifactStore.ArtifactNotFoundException.class, () -> store.read("items/missing.json"));
        assertTrue(e.getMessage().contains(store.location("items/missing.json")), e.getMessage());
        assertThrows(ArtifactStore.ArtifactNotFoundException.class, () -> store.open("items/missing.json").close());
    }

    @Test
    void aStreamingWriteIsInvisibleUntilCommittedAndDiscardedWithoutCommit() throws Exception {
        ArtifactStore store = store();
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        try (ArtifactStore.ArtifactOutput out = store.create("sft/part-00000.jsonl")) {
            out.write(big, 0, 1000);
            out.write(big, 1000, big.length - 1000);
            assertFalse(store.exists("sft/part-00000.jsonl"), "visible before commit");
            out.commit();
        }
        try (InputStream in = store.open("sft/part-00000.jsonl")) {
            assertArrayEquals(big, in.readAllBytes());
        }
        try (ArtifactStore.ArtifactOutput out = store.create("sft/part-00000.jsonl")) {
            out.write("truncated".getBytes(StandardCharsets.UTF_8));
            // no commit: an exception in the writer lands here
        }
        try (InputStream in = store.open("sft/part-00000.jsonl")) {
            assertArrayEquals(big, in.readAllBytes(), "an uncommitted write replaced the previous content");
        }
    }

    @Test
    void aStoreUnderAPrefixSeesOnlyItsOwnKeys() {
        ArtifactStore root = store();
        ArtifactStore campaign = root.under("campaigns/c1");
        campaign.writeString("funnel.json", "{}");
        assertEquals("{}", root.readString("campaigns/c1/funnel.json"));
        assertTrue(campaign.location("funnel.json").startsWith(campaign.location()), campaign.location("funnel.json"));
        assertFalse(root.under("campaigns/c2").exists("funnel.json"));
    }
}
