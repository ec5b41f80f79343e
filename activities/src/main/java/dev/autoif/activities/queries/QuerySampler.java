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
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws queries for instructions from an imported queries file (S6: 16 per instruction), seeded,
 * without holding the file in memory: an index of line offsets is built once, and each query is
 * read by seeking.
 *
 * <p>The draw is a pure function of (seed, instruction index), so it survives retries, replays and
 * workers that draw for instructions in any order. The pool is dealt out in rounds: each round is a
 * seeded permutation of the pool cut into consecutive hands of {@code count} queries, one hand per
 * instruction, so within a round no query is given twice. Instruction {@code i} gets hand
 * {@code i mod hands} of round {@code i / hands}. A query therefore serves at most
 * {@code maxUsesPerQuery} instructions (one per round), and instructions beyond the last round get
 * none.
 */
public final class QuerySampler implements AutoCloseable {
    private final ObjectMapper json = new ObjectMapper();
    private final RandomAccessFile file;
    private final long[] offsets;
    private final int maxUsesPerQuery;
    private final long seed;
    private final java.util.Map<Integer, int[]> rounds = new java.util.concurrent.ConcurrentHashMap<>();

    public QuerySampler(Path queries, int maxUsesPerQuery, long seed) throws IOException {
        this.offsets = lineOffsets(queries);
        this.maxUsesPerQuery = maxUsesPerQuery;
        this.seed = seed;
        this.file = new RandomAccessFile(queries.toFile(), "r");
    }

    public int size() {
        return offsets.length;
    }

    /** {@code count} distinct queries for the instruction at {@code instructionIndex} (fewer only when the pool is smaller), or none past the cap. */
    public synchronized List<String> sample(int instructionIndex, int count) throws IOException {
        int n = offsets.length;
        int take = Math.min(count, n);
        if (take == 0) {
            return List.of();
        }
        int hands = n / take;
        int round = instructionIndex / hands;
        if (round >= maxUsesPerQuery) {
            return List.of();
        }
        int[] order = permutation(round);
        int from = (instructionIndex % hands) * take;
        List<String> queries = new ArrayList<>();
        for (int slot = from; slot < from + take; slot++) {
            queries.add(read(order[slot]));
        }
        return queries;
    }

    /** Round {@code r}'s order of the pool: a seeded Fisher-Yates shuffle. */
    private int[] permutation(int round) {
        return rounds.computeIfAbsent(round, r -> {
            int[] order = new int[offsets.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + r);
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            return order;
        });
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
