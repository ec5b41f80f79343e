package dev.autoif.worker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.activities.sandbox.DockerClients;
import dev.autoif.worker.preflight.Preflight;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** /health's sandbox entry while the Docker engine is away (a socket where nothing listens) and when all is well. */
class SandboxHealthIndicatorTest {
    @Test
    void anEngineThatIsAwayIsDownWithTheProblemAndItsFix() {
        String host = "unix:///tmp/autoif-nothing-" + UUID.randomUUID() + ".sock";
        SandboxHealthIndicator health = new SandboxHealthIndicator(() -> {
            try (var docker = DockerClients.forChecks(host, Duration.ofSeconds(2))) {
                return List.of(Preflight.dockerEngine(docker, host, true));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        HealthResult result = health.current();
        assertEquals(HealthStatus.DOWN, result.getStatus());
        String detail = String.valueOf(((Map<?, ?>) result.getDetails()).get("Docker engine"));
        assertTrue(detail.startsWith("Docker engine: nothing answers at " + host), detail);
        assertTrue(detail.contains("DOCKER_HOST"), detail);
    }

    @Test
    void allChecksPassingIsUp() {
        SandboxHealthIndicator health = new SandboxHealthIndicator(() -> List.of(
                new Preflight.Check("Docker engine", Preflight.Status.OK, "answers at unix:///var/run/docker.sock", null)));
        assertEquals(HealthStatus.UP, health.current().getStatus());
    }
}
