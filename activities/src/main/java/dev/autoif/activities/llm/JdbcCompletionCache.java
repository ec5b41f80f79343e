package dev.autoif.activities.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache in a SQL table keyed by the sample hash (PostgreSQL), shared by every worker of a deployment: a
 * completion bought by one worker is never bought again by another.
 *
 * <p>Before buying, a worker <em>claims</em> the sample in {@value #CLAIMS}: insert-if-absent, or take over a claim
 * whose lease (database time) expired because its claimant died. The claimant's process renews the lease every third
 * of it while the request runs; other workers wait for the stored answer instead of buying it too. Storing is
 * first-writer-wins ({@code ON CONFLICT DO NOTHING}) and answers with the stored entry, so a worker whose lease was
 * taken over (it stalled longer than the lease) still uses the winner's sample. Storing a sample ends its claim in the
 * same transaction; a worker always re-reads the cache after claiming, so a claim taken just after another worker
 * stored (and released) the sample buys nothing.
 *
 * <p>Both tables are created if missing (the claims table is new: workers of before it keep working on the cache
 * table). Connections are pooled ({@link JdbcPool}).
 */
public final class JdbcCompletionCache implements CompletionCache {
    private static final Logger log = LoggerFactory.getLogger(JdbcCompletionCache.class);
    public static final String TABLE = "autoif_completion_cache";
    public static final String CLAIMS = "autoif_completion_claims";
    /** How long a claim lasts without renewal: a dead claimant's samples are bought by another worker after this. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

    private final JdbcPool db;
    private final Duration lease;
    private final ObjectMapper json = new ObjectMapper();
    /** This cache instance in the claims table: its renewals extend all its claims at once. */
    private final String owner = UUID.randomUUID().toString();
    private final AtomicLong claimants = new AtomicLong();
    private final ScheduledFuture<?> renewal;

    public JdbcCompletionCache(String jdbcUrl) {
        this(jdbcUrl, DEFAULT_LEASE);
    }

    /** @param lease how long a claim lasts unless renewed (renewed every third of it while its request runs) */
    public JdbcCompletionCache(String jdbcUrl, Duration lease) {
        this.db = new JdbcPool(jdbcUrl, "completion cache");
        this.lease = lease;
        db.create("CREATE TABLE IF NOT EXISTS " + TABLE + " (key CHAR(64) PRIMARY KEY, entry TEXT NOT NULL, "
                + "created_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        db.create("CREATE TABLE IF NOT EXISTS " + CLAIMS + " (key CHAR(64) PRIMARY KEY, claimant TEXT NOT NULL, "
                + "owner TEXT NOT NULL, lease_until TIMESTAMPTZ NOT NULL)");
        long every = Math.max(50, lease.toMillis() / 3);
        this.renewal = JdbcPool.RENEWALS.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public Optional<CachedCompletion> get(String key) {
        return Optional.ofNullable(getAll(List.of(key)).get(key));
    }

    @Override
    public Map<String, CachedCompletion> getAll(Collection<String> keys) {
        return db.run(c -> {
            Map<String, CachedCompletion> found = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement("SELECT key, entry FROM " + TABLE + " WHERE key = ANY(?)")) {
                s.setArray(1, c.createArrayOf("text", keys.toArray()));
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        try {
                            found.put(r.getString(1), json.readValue(r.getString(2), CachedCompletion.class));
                        } catch (JsonProcessingException corrupt) {
                            // a corrupt entry is only a lost saving: the sample is bought again
                        }
                    }
                }
            }
            return found;
        });
    }

    @Override
    public void put(String key, CachedCompletion entry) {
        store(key, entry, null);
    }

    @Override
    public CachedCompletion store(String key, CachedCompletion entry, Claims claims) {
        String value = write(entry);
        return db.inTransaction(c -> {
            int inserted;
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO " + TABLE + " (key, entry) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")) {
                s.setString(1, key);
                s.setString(2, value);
                inserted = s.executeUpdate();
            }
            if (claims instanceof Claimant mine) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM " + CLAIMS + " WHERE key = ? AND claimant = ?")) {
                    s.setString(1, key);
                    s.setString(2, mine.id);
                    s.executeUpdate();
                }
                mine.held.remove(key);
            }
            if (inserted == 1) {
                return entry;
            }
            try (PreparedStatement s = c.prepareStatement("SELECT entry FROM " + TABLE + " WHERE key = ?")) {
                s.setString(1, key);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return json.readValue(r.getString(1), CachedCompletion.class);
                } catch (JsonProcessingException corrupt) {
                    return entry;
                }
            }
        });
    }

    @Override
    public Claims claims() {
        return new Claimant(owner + "/" + claimants.incrementAndGet());
    }

    /** The claims of one fetch: held until its samples are stored or it closes. */
    private final class Claimant implements Claims {
        final String id;
        final Set<String> held = ConcurrentHashMap.newKeySet();

        Claimant(String id) {
            this.id = id;
        }

        @Override
        public Set<String> acquire(List<String> keys) {
            List<String> wanted = keys.stream().filter(k -> !held.contains(k)).distinct().toList();
            if (!wanted.isEmpty()) {
                held.addAll(db.run(c -> {
                    Set<String> got = new HashSet<>();
                    // Insert-if-absent, or take over an expired lease; a live claim of another is left alone.
                    try (PreparedStatement s = c.prepareStatement("INSERT INTO " + CLAIMS
                            + " (key, claimant, owner, lease_until) SELECT k, ?, ?, now() + ? * interval '1 millisecond' "
                            + "FROM unnest(?::text[]) AS k ON CONFLICT (key) DO UPDATE SET claimant = EXCLUDED.claimant, "
                            + "owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until "
                            + "WHERE " + CLAIMS + ".lease_until < now() RETURNING key")) {
                        s.setString(1, id);
                        s.setString(2, owner);
                        s.setLong(3, lease.toMillis());
                        Array array = c.createArrayOf("text", wanted.toArray());
                        s.setArray(4, array);
                        try (ResultSet r = s.executeQuery()) {
                            while (r.next()) {
                                got.add(r.getString(1));
                            }
                        }
                    }
                    return got;
                }));
            }
            Set<String> mine = new HashSet<>(keys);
            mine.retainAll(held);
            return mine;
        }

        @Override
        public void close() {
            if (held.isEmpty()) {
                return;
            }
            db.run(c -> {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM " + CLAIMS + " WHERE claimant = ?")) {
                    s.setString(1, id);
                    return s.executeUpdate();
                }
            });
            held.clear();
        }
    }

    /** Extends every live claim of this instance (one statement); a failure only risks a takeover, so it is logged. */
    private void renew() {
        try {
            db.run(c -> {
                try (PreparedStatement s = c.prepareStatement("UPDATE " + CLAIMS
                        + " SET lease_until = now() + ? * interval '1 millisecond' WHERE owner = ?")) {
                    s.setLong(1, lease.toMillis());
                    s.setString(2, owner);
                    return s.executeUpdate();
                }
            });
        } catch (RuntimeException e) {
            log.warn("could not renew completion claims: {}",
                    e.getMessage());
        }
    }

    private String write(CachedCompletion entry) {
        try {
            return json.writeValueAsString(entry);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String description() {
        return db.description();
    }

    @Override
    public void close() {
        renewal.cancel(false);
        db.close();
    }
}
