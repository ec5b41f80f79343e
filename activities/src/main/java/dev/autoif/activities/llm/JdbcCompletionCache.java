package dev.autoif.activities.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The cache in a SQL table keyed by the sample hash (PostgreSQL; {@code INSERT ... ON CONFLICT DO
 * NOTHING}), shared by every worker of a deployment: a completion bought by one worker is never
 * bought again by another. The table is created if missing. Connections are pooled (a few are
 * enough: each statement is a primary-key lookup or insert).
 */
public final class JdbcCompletionCache implements CompletionCache {
    public static final String TABLE = "autoif_completion_cache";
    private static final int POOL = 8;

    private final String url;
    private final ObjectMapper json = new ObjectMapper();
    private final BlockingQueue<Connection> idle = new ArrayBlockingQueue<>(POOL);

    public JdbcCompletionCache(String jdbcUrl) {
        this.url = jdbcUrl;
        try (Connection c = open(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (key CHAR(64) PRIMARY KEY, entry TEXT NOT NULL, "
                    + "created_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        } catch (SQLException e) {
            // Two workers creating the table at once: one loses the race on the catalog; the table exists.
            if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
                throw new IllegalStateException("completion cache database " + description() + " unusable: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public Optional<CachedCompletion> get(String key) {
        return withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT entry FROM " + TABLE + " WHERE key = ?")) {
                s.setString(1, key);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return Optional.empty();
                    }
                    try {
                        return Optional.of(json.readValue(r.getString(1), CachedCompletion.class));
                    } catch (JsonProcessingException corrupt) {
                        return Optional.empty();
                    }
                }
            }
        });
    }

    @Override
    public void put(String key, CachedCompletion entry) {
        String value;
        try {
            value = json.writeValueAsString(entry);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO " + TABLE + " (key, entry) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")) {
                s.setString(1, key);
                s.setString(2, value);
                return s.executeUpdate();
            }
        });
    }

    @Override
    public String description() {
        int q = url.indexOf('?');
        return "database " + (q < 0 ? url : url.substring(0, q));
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

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} on a pooled connection; a broken connection is discarded and the work tried once more. */
    private <T> T withConnection(Work<T> work) {
        SQLException last = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            Connection c = idle.poll();
            try {
                if (c == null || c.isClosed()) {
                    c = open();
                }
                T result = work.run(c);
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
        throw new IllegalStateException("completion cache " + description() + " failed: " + last.getMessage(), last);
    }

    private Connection open() throws SQLException {
        Connection c = DriverManager.getConnection(url);
        c.setAutoCommit(true);
        return c;
    }
}
