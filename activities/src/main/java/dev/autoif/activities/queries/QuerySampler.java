package dev.autoif.activities.queries;

import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Deals queries to instructions (S6: 16 per instruction), seeded: which positions of the pool an instruction gets.
 * The queries themselves are read by position from the stored pool ({@link QueryPages}).
 *
 * <p>The draw is a pure function of (pool size, seed, instruction index), so it survives retries, replays and
 * workers that draw for instructions in any order. The pool is dealt out in rounds: each round is a seeded
 * permutation of the pool cut into consecutive hands of {@code count} queries, one hand per instruction, so within a
 * round no query is given twice. Instruction {@code i} gets hand {@code i mod hands} of round {@code i / hands}. A
 * query therefore serves at most {@code maxUsesPerQuery} instructions (one per round), and instructions beyond the
 * last round get none.
 */
public final class QuerySampler {
    private final int size;
    private final int maxUsesPerQuery;
    private final long seed;
    private final java.util.Map<Integer, int[]> rounds = new ConcurrentHashMap<>();

    public QuerySampler(int poolSize, int maxUsesPerQuery, long seed) {
        this.size = poolSize;
        this.maxUsesPerQuery = maxUsesPerQuery;
        this.seed = seed;
    }

    /**
     * The pool positions of {@code count} distinct queries for the instruction at {@code instructionIndex} (fewer only
     * when the pool is smaller), or none past the cap.
     */
    public int[] draw(int instructionIndex, int count) {
        int take = Math.min(count, size);
        if (take == 0) {
            return new int[0];
        }
        int hands = size / take;
        int round = instructionIndex / hands;
        if (round >= maxUsesPerQuery) {
            return new int[0];
        }
        int from = (instructionIndex % hands) * take;
        return java.util.Arrays.copyOfRange(permutation(round), from, from + take);
    }

    /** Round {@code r}'s order of the pool: a seeded Fisher-Yates shuffle. */
    private int[] permutation(int round) {
        return rounds.computeIfAbsent(round, r -> {
            int[] order = new int[size];
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
}
