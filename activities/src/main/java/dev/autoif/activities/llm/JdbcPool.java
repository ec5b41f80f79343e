package dev.autoif.activities.llm;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A few pooled PostgreSQL connections for the gateway's shared tables (completion cache, claims, request permits):
 * every statement is short, so a handful is enough. A broken connection is discarded and the work tried once more.
 */
final class JdbcPool implements AutoCloseable {
    private static final int POOL = 8;

    /** Renews the leases (claims, permits) of every live instance in this process: one short UPDATE each, now and then. */
    static final ScheduledExecutorService RENEWALS = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("autoif-lease-renewal").daemon().factory());

    /** Work on one connection; with {@link #inTransaction} it runs in one transaction. */
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final String url;
    private final String what;
    private final BlockingQueue<Connection> idle = new ArrayBlockingQueue<>(POOL);

    /** @param what what the database is for, in messages ("completion cache") */
    JdbcPool(String jdbcUrl, String what) {
        this.url = jdbcUrl;
        this.what = what;
    }

    /** The URL without its query string (which may hold a password). */
    String description() {
        int q = url.indexOf('?');
        return "database " + (q < 0 ? url : url.substring(0, q));
    }

    /** Runs {@code work} with auto-commit on (one statement, one transaction). */
    <T> T run(Work<T> work) {
        return withConnection(work, false);
    }

    /** Runs {@code work} in one transaction, committed when it returns, rolled back when it throws. */
    <T> T inTransaction(Work<T> work) {
        return withConnection(work, true);
    }

    /** Creates a table (or index) at start-up; two workers creating it at once is not an error. */
    void create(String ddl) {
        try (Connection c = open(); var s = c.createStatement()) {
            s.execute(ddl);
        } catch (SQLException e) {
            // Two workers creating the table at once: one loses the race on the catalog; the table exists.
            if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
                throw new IllegalStateException(what + " " + description() + " unusable: " + e.getMessage(), e);
            }
        }
    }

    private <T> T withConnection(Work<T> work, boolean transaction) {
        SQLException last = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            Connection c = idle.poll();
            try {
                if (c == null || c.isClosed()) {
                    c = open();
                }
                T result;
                if (transaction) {
                    c.setAutoCommit(false);
                    try {
                        result = work.run(c);
                        c.commit();
                    } catch (SQLException | RuntimeException e) {
                        c.rollback();
                        throw e;
                    } finally {
                        c.setAutoCommit(true);
                    }
                } else {
                    result = work.run(c);
                }
                if (!idle.offer(c)) {
                    c.close();
                }
                return result;
            } catch (SQLException e) {
                last = e;
                if (c != null) {
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // discarded
                    }
                }
            }
        }
        // Retryable by Temporal: the activity fails and runs again when the database answers.
        throw new IllegalStateException(what + " " + description() + " failed: " + last.getMessage(), last);
    }

    private Connection open() throws SQLException {
        Connection c = DriverManager.getConnection(url);
        c.setAutoCommit(true);
        return c;
    }

    @Override
    public void close() {
        for (Connection c; (c = idle.poll()) != null; ) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }
}
