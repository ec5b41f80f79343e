package dev.autoif.activities.sandbox;

import java.time.Duration;

/**
 * Limits of one verifier container.
 *
 * @param image          the verifier runtime image (built by deploy/verifier/build-image.sh)
 * @param memoryMb       container memory (and swap) limit
 * @param cpus           CPU share, e.g. 1.0
 * @param pids           process limit: stops fork and thread bombs
 * @param tmpfsMb        size of the only writable path, /tmp
 * @param maxOutputBytes cap on what the runner may print before the batch counts as failed
 * @param batchDeadline  wall-clock limit of a whole batch
 */
public record SandboxSettings(String image, int memoryMb, double cpus, long pids, int tmpfsMb, int maxOutputBytes,
                              Duration batchDeadline) {

    public static SandboxSettings defaults(String image) {
        return new SandboxSettings(image, 512, 1.0, 128, 16, 8 * 1024 * 1024, Duration.ofMinutes(10));
    }
}
