package dev.autoif.activities.llm;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet-wide cap in PostgreSQL: {@code cap} permit rows per endpoint ({@value #PERMITS}: endpoint, slot 0..cap-1,
 * holder, lease). A request takes a free slot — or one whose lease ran out because its worker died — and gives it back
 * when the answer is in; each process renews its permits' leases every third of the lease while they are held, so a
 * crashed worker's permits come back after at most one lease.
 *
 * <p>Fairness: a waiting request registers in {@value #WAITERS} with its fairness key (the campaign). A free slot goes
 * to a waiter whose key holds fewer than its fair share, {@code ceil(cap / keys holding or waiting)}, or to any waiter
 * when no other key is waiting (so a lone campaign uses the whole cap). Two campaigns sharing an endpoint thus get
 * half of it each however many requests each has queued. Decisions for one endpoint are serialized by a
 * transaction-scoped advisory lock, so the cap is exact; waiters poll (10 ms doubling to {@value #MAX_POLL_MILLIS} ms).
 *
 * <p>Every worker of a deployment should configure the same cap: the rows above a worker's own cap are ignored by it.
 */
public final class JdbcFleetLimiter implements FleetLimiter {
    private static final Logger log = LoggerFactory.getLogger(JdbcFleetLimiter.class);
    public static final String PERMITS = "autoif_llm_permits";
    public static final String WAITERS = "autoif_llm_permit_waiters";
    static final long MAX_POLL_MILLIS = 100;

    private final JdbcPool db;
    private final int cap;
    private final Duration lease;
    private final String owner = UUID.randomUUID().toString();
    private final AtomicLong requests = new AtomicLong();
    private final Set<String> endpointsWithSlots = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> renewal;

    /**
     * @param cap   requests in flight per endpoint across every worker using this database
     * @param lease how long a permit (or a waiter's registration) lasts unless renewed
     */
    public JdbcFleetLimiter(String jdbcUrl, int cap, Duration lease) {
        if (cap < 1) {
            throw new IllegalArgumentException("the fleet-wide LLM concurrency must be at least 1, got " + cap);
        }
        this.db = new JdbcPool(jdbcUrl, "LLM request permits");
        this.cap = cap;
        this.lease = lease;
        db.create("CREATE TABLE IF NOT EXISTS " + PERMITS + " (endpoint TEXT NOT NULL, slot INT NOT NULL, holder TEXT, "
                + "owner TEXT, fairness_key TEXT, lease_until TIMESTAMPTZ, PRIMARY KEY (endpoint, slot))");
        db.create("CREATE TABLE IF NOT EXISTS " + WAITERS + " (waiter TEXT PRIMARY KEY, endpoint TEXT NOT NULL, "
                + "fairness_key TEXT NOT NULL, owner TEXT NOT NULL, lease_until TIMESTAMPTZ NOT NULL)");
        long every = Math.max(50, lease.toMillis() / 3);
        this.renewal = JdbcPool.RENEWALS.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public Permit acquire(String endpoint, String fairnessKey) throws InterruptedException {
        String key = fairnessKey == null || fairnessKey.isBlank() ? "-" : fairnessKey;
        if (endpointsWithSlots.add(endpoint)) {
            db.run(c -> update(c, "INSERT INTO " + PERMITS + " (endpoint, slot) SELECT ?, generate_series(0, ? - 1) "
                    + "ON CONFLICT DO NOTHING", endpoint, cap));
        }
        String holder = owner + "/" + requests.incrementAndGet();
        long wait = 10;
        boolean granted = false;
        try {
            while (true) {
                Integer slot = db.inTransaction(c -> tryTake(c, endpoint, key, holder));
                if (slot != null) {
                    granted = true;
                    return () -> db.run(c -> update(c, "UPDATE " + PERMITS + " SET holder = NULL, fairness_key = NULL "
                            + "WHERE endpoint = ? AND slot = ? AND holder = ?", endpoint, slot, holder));
                }
                Thread.sleep(wait + ThreadLocalRandom.current().nextLong(wait / 2 + 1));
                wait = Math.min(MAX_POLL_MILLIS, wait * 2);
            }
        } finally {
            if (!granted) {
                db.run(c -> update(c, "DELETE FROM " + WAITERS + " WHERE waiter = ?", holder));
            }
        }
    }

    /** One decision under the endpoint's lock: the slot taken, or null (none free, or over the fair share). */
    private Integer tryTake(Connection c, String endpoint, String key, String holder) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            s.setString(1, PERMITS + ":" + endpoint);
            s.execute();
        }
        update(c, "DELETE FROM " + WAITERS + " WHERE endpoint = ? AND lease_until < now()", endpoint);
        update(c, "INSERT INTO " + WAITERS + " (waiter, endpoint, fairness_key, owner, lease_until) VALUES "
                + "(?, ?, ?, ?, now() + ? * interval '1 millisecond') ON CONFLICT (waiter) DO UPDATE SET lease_until = "
                + "EXCLUDED.lease_until", holder, endpoint, key, owner, lease.toMillis());
        String live = "FROM " + PERMITS + " WHERE endpoint = ? AND slot < ? AND holder IS NOT NULL AND lease_until >= now()";
        Integer free;
        long mine, active, othersWaiting;
        try (PreparedStatement s = c.prepareStatement("SELECT "
                + "(SELECT min(slot) FROM " + PERMITS + " WHERE endpoint = ? AND slot < ? AND (holder IS NULL OR lease_until < now())), "
                + "(SELECT count(*) " + live + " AND fairness_key = ?), "
                + "(SELECT count(*) FROM (SELECT fairness_key " + live + " UNION SELECT fairness_key FROM " + WAITERS
                + " WHERE endpoint = ?) k), "
                + "(SELECT count(*) FROM " + WAITERS + " WHERE endpoint = ? AND fairness_key <> ?)")) {
            bind(s, endpoint, cap, endpoint, cap, key, endpoint, cap, endpoint, endpoint, key);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                free = (Integer) r.getObject(1);
                mine = r.getLong(2);
                active = r.getLong(3);
                othersWaiting = r.getLong(4);
            }
        }
        long share = (cap + active - 1) / Math.max(1, active);
        if (free == null || mine >= share && othersWaiting > 0) {
            return null;
        }
        update(c, "UPDATE " + PERMITS + " SET holder = ?, owner = ?, fairness_key = ?, lease_until = now() + ? * "
                + "interval '1 millisecond' WHERE endpoint = ? AND slot = ?", holder, owner, key, lease.toMillis(), endpoint, free);
        update(c, "DELETE FROM " + WAITERS + " WHERE waiter = ?", holder);
        return free;
    }

    /** Extends the leases of this process's permits and waiters; a failure only risks losing them, so it is logged. */
    private void renew() {
        try {
            db.run(c -> update(c, "UPDATE " + PERMITS + " SET lease_until = now() + ? * interval '1 millisecond' "
                    + "WHERE owner = ? AND holder IS NOT NULL", lease.toMillis(), owner)
                    + update(c, "UPDATE " + WAITERS + " SET lease_until = now() + ? * interval '1 millisecond' "
                    + "WHERE owner = ?", lease.toMillis(), owner));
        } catch (RuntimeException e) {
            log.warn("could not renew LLM request permits: {}", e.getMessage());
        }
    }

    private static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, args);
            return s.executeUpdate();
        }
    }

    private static void bind(PreparedStatement s, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            s.setObject(i + 1, args[i]);
        }
    }

    @Override
    public String description() {
        return cap + " requests in flight per endpoint across the fleet, fair shares per campaign (" + db.description() + ")";
    }

    @Override
    public void close() {
        renewal.cancel(false);
        db.close();
    }
}
