package dev.autoif.activities.queries;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws queries for instructions from an imported queries file (S6: 16 per instruction), seeded,
 * without holding the file in memory: an index of line offsets is built once, and each query is
 * read by seeking. A query is given to at most {@code maxUsesPerQuery} instructions, so a small
 * query pool is not dominated by a few queries.
 */
public final class QuerySampler implements AutoCloseable {
    private final ObjectMapper json = new ObjectMapper();
    private final RandomAccessFile file;
    private final long[] offsets;
    private final int[] uses;
    private final int maxUsesPerQuery;
    private final long seed;

    public QuerySampler(Path queries, int maxUsesPerQuery, long seed) throws IOException {
        this.offsets = lineOffsets(queries);
        this.uses = new int[offsets.length];
        this.maxUsesPerQuery = maxUsesPerQuery;
        this.seed = seed;
        this.file = new RandomAccessFile(queries.toFile(), "r");
    }

    public int size() {
        return offsets.length;
    }

    /**
     * Up to {@code count} distinct queries for one instruction; fewer only when the pool has no
     * query left under its reuse cap. Same seed, instruction and call order give the same draw.
     */
    public List<String> sample(String instructionId, int count) throws IOException {
        SplittableRandom random = new SplittableRandom(seed ^ instructionId.hashCode() * 0x9E3779B97F4A7C15L);
        LinkedHashSet<Integer> chosen = new LinkedHashSet<>();
        // Random probes first (cheap while most queries are available), then a scan from a random point.
        for (int attempt = 0; attempt < count * 8 && chosen.size() < count && offsets.length > 0; attempt++) {
            int candidate = random.nextInt(offsets.length);
            if (uses[candidate] < maxUsesPerQuery) chosen.add(candidate);
        }
        int start = offsets.length == 0 ? 0 : random.nextInt(offsets.length);
        for (int i = 0; i < offsets.length && chosen.size() < count; i++) {
            int candidate = (start + i) % offsets.length;
            if (uses[candidate] < maxUsesPerQuery) chosen.add(candidate);
        }
        List<String> queries = new ArrayList<>();
        for (int index : chosen) {
            uses[index]++;
            queries.add(read(index));
        }
        return queries;
    }

    private String read(int index) throws IOException {
        long from = offsets[index];
        long to = index + 1 < offsets.length ? offsets[index + 1] : file.length();
        byte[] line = new byte[(int) (to - from)];
        file.seek(from);
        file.readFully(line);
        return json.readValue(new String(line, StandardCharsets.UTF_8).strip(), String.class);
    }

    private static long[] lineOffsets(Path queries) throws IOException {
        long[] offsets = new long[1024];
        int count = 0;
        long position = 0;
        boolean atLineStart = true;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(queries), 1 << 16)) {
            for (int b; (b = in.read()) >= 0; position++) {
                if (atLineStart && b != '\n') {
                    if (count == offsets.length) offsets = Arrays.copyOf(offsets, count * 2);
                    offsets[count++] = position;
                    atLineStart = false;
                }
                if (b == '\n') atLineStart = true;
            }
        }
        return Arrays.copyOf(offsets, count);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
