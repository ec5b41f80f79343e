package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.worker.preflight.Preflight;
import dev.autoif.workflows.SearchAttributes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.yaml.snakeyaml.Yaml;

/**
 * No image can be pulled here, so the compose stack is checked statically: Debian's
 * docker-compose must accept it, and it must agree with the worker's configuration and the
 * workflows' search attributes.
 */
@Tag("tools")
class DockerComposeFileTest {
    static final Path COMPOSE = Path.of("..", "docker-compose.yml").toAbsolutePath().normalize();

    @SuppressWarnings("unchecked")
    static Map<String, Object> resolvedCompose() throws Exception {
        Process p = new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "config")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "docker-compose config rejected the file");
        return new Yaml().load(out);
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> environment(Map<String, Object> service) {
        Object env = service.get("environment");
        Map<String, String> result = new HashMap<>();
        if (env instanceof Map<?, ?> map) {
            map.forEach((k, v) -> result.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else if (env instanceof List<?> list) {
            for (Object item : list) {
                String[] kv = String.valueOf(item).split("=", 2);
                result.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return result;
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeIsValidAndAgreesWithTheWorkerConfiguration() throws Exception {
        Map<String, Object> compose = resolvedCompose();
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        for (String required : List.of("postgresql", "temporal", "temporal-ui", "temporal-admin-tools", "minio", "minio-bucket",
                "worker", "verifier-image", "prometheus", "grafana")) {
            assertTrue(services.containsKey(required), "service " + required + " missing");
        }

        // Every variable the compose file gives the worker is one the worker reads.
        Map<String, String> workerEnv = environment(services.get("worker"));
        for (String key : workerEnv.keySet()) {
            if (WorkerVariables.READ_BY_LIBRARIES.contains(key)) continue;
            assertTrue(WorkerVariables.readByWorker(key), "worker env " + key + " is not read by the worker");
        }
        // ...and the worker can reach the Temporal service at the port it exposes.
        String[] temporalAddress = workerEnv.get("TEMPORAL_ADDRESS").split(":");
        assertEquals("temporal", temporalAddress[0]);
        assertTrue(ports(services.get("temporal")).contains(temporalAddress[1]), "temporal publishes " + temporalAddress[1]);
        assertScalable(services.get("worker"), workerEnv.get("AUTOIF_HTTP_PORT"));
        assertStoreIsTheComposeObjectStore(services);
        assertEquals("autoif/verifier:1", workerEnv.get("AUTOIF_VERIFIER_IMAGE"));
        assertEquals("autoif/verifier:1", services.get("verifier-image").get("image"));
        String ui = environment(services.get("temporal-ui")).get("TEMPORAL_ADDRESS");
        assertEquals("temporal:" + temporalAddress[1], ui);

        assertMonitoringIsWired(services, workerEnv.get("AUTOIF_HTTP_PORT"));

        // The search attributes the workflows set are the ones the stack registers.
        String raw = Files.readString(COMPOSE);
        for (var key : SearchAttributes.ALL) {
            assertTrue(raw.contains(key.getName()), "compose does not register " + key.getName());
        }
    }

    /**
     * {@code docker compose up --scale worker=3} needs a worker without a fixed host port or container name (the second
     * container could not bind or be named); its HTTP port is exposed on the compose network instead. The scaled
     * workers share no disk, as workers on separate hosts would not: the only volume is the Docker socket, and the
     * worker's own start-up check must accept its environment as a deployment with other workers on the same
     * Temporal server, because the store is an object store, not because a local directory is declared shared.
     */
    static void assertScalable(Map<String, Object> worker, String httpPort) {
        assertTrue(ports(worker).isEmpty(), "worker publishes a host port, which blocks --scale: " + worker.get("ports"));
        assertTrue(!worker.containsKey("container_name"), "a container_name blocks --scale");
        assertEquals(List.of(httpPort), ((List<?>) worker.get("expose")).stream().map(String::valueOf).toList());
        List<?> volumes = (List<?>) worker.get("volumes");
        assertTrue(volumes.size() == 1 && String.valueOf(volumes.get(0)).startsWith("/var/run/docker.sock:/var/run/docker.sock"),
                "the Docker socket is the worker's only volume, none is shared by the scaled workers: " + volumes);
        Map<String, String> env = environment(worker);
        assertTrue(Integer.parseInt(env.get("AUTOIF_LLM_GLOBAL_CONCURRENCY")) > 0, "scaled workers share one LLM cap");
        assertAcceptedWithObjectStore(env);
    }

    /**
     * A worker with {@code env} as its environment binds an S3 store on the configured endpoint, and its start-up check
     * for workers sharing a Temporal server accepts it without the local directory being declared shared.
     */
    static void assertAcceptedWithObjectStore(Map<String, String> env) {
        try (var context = WorkerVariables.contextWith(env)) {
            AutoifSettings settings = context.getBean(AutoifSettings.class);
            StoreSettings store = context.getBean(StoreSettings.class);
            assertEquals(env.get("AUTOIF_STORE"), store.location());
            assertFalse(store.local() || store.declaredShared(), "the store is an object store: " + store.location());
            assertEquals(env.get("AUTOIF_S3_ENDPOINT") + " (path-style)", store.s3Server());
            Preflight.Check deployment = Preflight.sharedByEveryWorker(store, settings.llmCacheJdbcUrl(), settings.temporalAddress());
            assertFalse(deployment.failed(), deployment.line());
        }
    }

    /**
     * The worker's store is a bucket on the compose file's MinIO, which the one-shot creates before any worker starts,
     * with the keys MinIO was started with.
     */
    static void assertStoreIsTheComposeObjectStore(Map<String, Map<String, Object>> services) {
        Map<String, String> worker = environment(services.get("worker"));
        Map<String, String> minio = environment(services.get("minio"));
        URI endpoint = URI.create(worker.get("AUTOIF_S3_ENDPOINT"));
        assertEquals("minio", endpoint.getHost());
        assertTrue(ports(services.get("minio")).contains(String.valueOf(endpoint.getPort())), "minio serves " + endpoint);
        assertEquals("true", worker.get("AUTOIF_S3_PATH_STYLE"), "MinIO without DNS per bucket needs path-style requests");
        assertEquals(minio.get("MINIO_ROOT_USER"), worker.get("AWS_ACCESS_KEY_ID"));
        assertEquals(minio.get("MINIO_ROOT_PASSWORD"), worker.get("AWS_SECRET_ACCESS_KEY"));
        assertTrue(String.valueOf(services.get("minio").get("healthcheck")).contains("mc, ready, local"));

        Map<String, Object> bucketJob = services.get("minio-bucket");
        assertEquals(Map.of("condition", "service_healthy"), ((Map<?, ?>) bucketJob.get("depends_on")).get("minio"));
        assertEquals(minio, environment(bucketJob));
        String bucket = URI.create(worker.get("AUTOIF_STORE")).getHost();
        String script = String.valueOf(bucketJob.get("command"));
        assertTrue(script.contains("mc alias set store " + worker.get("AUTOIF_S3_ENDPOINT")), script);
        assertTrue(script.contains("mc mb --ignore-existing store/" + bucket), "the one-shot does not create " + bucket + ": " + script);
        assertEquals(Map.of("condition", "service_completed_successfully"),
                ((Map<?, ?>) services.get("worker").get("depends_on")).get("minio-bucket"), "workers start after the bucket exists");
    }

    /**
     * Prometheus scrapes every worker's metrics port and path (one DNS A record per scaled container); Grafana gets the Prometheus datasource and the dashboard
     * from files that exist, mounted where its provisioning looks for them.
     */
    @SuppressWarnings("unchecked")
    static void assertMonitoringIsWired(Map<String, Map<String, Object>> services, String workerPort) throws Exception {
        Path root = COMPOSE.getParent();
        Map<String, Object> prometheus = new Yaml().load(Files.readString(root.resolve("deploy/prometheus/prometheus.yml")));
        Map<String, Object> job = ((List<Map<String, Object>>) prometheus.get("scrape_configs")).get(0);
        assertEquals("/prometheus", job.get("metrics_path"));
        assertTrue(!job.containsKey("static_configs"), "a static target would scrape one of the scaled workers only");
        Map<String, Object> dns = ((List<Map<String, Object>>) job.get("dns_sd_configs")).get(0);
        assertEquals(List.of("worker"), dns.get("names"));
        assertEquals("A", dns.get("type"));
        assertEquals(workerPort, String.valueOf(dns.get("port")));
        assertTrue(String.valueOf(services.get("prometheus").get("volumes")).contains("prometheus.yml"));

        Map<String, Object> datasources = new Yaml().load(Files.readString(
                root.resolve("deploy/grafana/provisioning/datasources/prometheus.yml")));
        Map<String, Object> ds = ((List<Map<String, Object>>) datasources.get("datasources")).get(0);
        assertEquals("http://prometheus:" + ports(services.get("prometheus")).get(0), ds.get("url"));
        Map<String, Object> providers = new Yaml().load(Files.readString(
                root.resolve("deploy/grafana/provisioning/dashboards/autoif.yml")));
        String dashboardPath = String.valueOf(((Map<String, Object>) ((List<Map<String, Object>>) providers.get("providers"))
                .get(0).get("options")).get("path"));
        String grafanaVolumes = String.valueOf(services.get("grafana").get("volumes"));
        assertTrue(grafanaVolumes.contains(dashboardPath) && grafanaVolumes.contains("/etc/grafana/provisioning"), grafanaVolumes);
        assertTrue(Files.exists(root.resolve("deploy/grafana/dashboards/autoif.json")));
        // Every panel queries the datasource the stack provisions.
        String dashboard = Files.readString(root.resolve("deploy/grafana/dashboards/autoif.json"));
        assertTrue(dashboard.contains("\"uid\": \"" + ds.get("uid") + "\""), "dashboard uses datasource " + ds.get("uid"));
    }

    /** Container-side ports a service publishes. */
    @SuppressWarnings("unchecked")
    static List<String> ports(Map<String, Object> service) {
        List<String> result = new ArrayList<>();
        Object ports = service.get("ports");
        if (ports instanceof List<?> list) {
            Pattern container = Pattern.compile("(\\d+)(/\\w+)?$");
            for (Object p : list) {
                if (p instanceof Map<?, ?> m) {
                    result.add(String.valueOf(m.get("target")));
                } else {
                    Matcher matcher = container.matcher(String.valueOf(p));
                    if (matcher.find()) result.add(matcher.group(1));
                }
            }
        }
        return result;
    }
}
