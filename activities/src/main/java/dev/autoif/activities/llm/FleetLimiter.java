package dev.autoif.activities.llm;

/**
 * The cap on requests in flight to one endpoint across every worker of a deployment, with fair shares between the
 * campaigns (fairness keys) that use it. It sits behind each worker's own {@link AdaptiveConcurrencyLimiter}: a request
 * first takes a local permit (the worker's adaptive share), then a fleet permit. {@link JdbcFleetLimiter} keeps the
 * permits in PostgreSQL; {@link #none()} is no fleet-wide cap (one worker, or a cap not configured).
 */
public interface FleetLimiter extends AutoCloseable {

    /** The right to send one request; closing it gives the slot back. */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits for a permit for a request to {@code endpoint} (a base URL without trailing '/').
     *
     * @param fairnessKey whose request it is (the campaign id); null: a key of its own ("-")
     */
    Permit acquire(String endpoint, String fairnessKey) throws InterruptedException;

    /** For logs. */
    String description();

    @Override
    default void close() {}

    /** No fleet-wide cap. */
    static FleetLimiter none() {
        return new FleetLimiter() {
            @Override
            public Permit acquire(String endpoint, String fairnessKey) {
                return () -> {};
            }

            @Override
            public String description() {
                return "none (each worker's own cap only)";
            }
        };
    }
}
