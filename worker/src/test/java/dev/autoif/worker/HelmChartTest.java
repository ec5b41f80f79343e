package dev.autoif.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.TaskQueues;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart (deploy/helm/autoif) is linted and rendered by a real `helm` (deploy/scripts/ensure-helm.sh builds
 * it), and the rendered manifests are checked against the worker: one Deployment per task-queue role polling only its
 * queues, a KEDA ScaledObject on each, every pod on the one shared data volume or on an object store, secrets by
 * reference, the sandbox's Docker access in both modes. No cluster is involved: this checks what would be applied, not that it runs.
 */
@Tag("tools")
class HelmChartTest {
    static final Path CHART = Path.of("..", "deploy", "helm", "autoif").toAbsolutePath().normalize();
    static final String RELEASE = "autoif";
    /** The roles the chart deploys by default, and the queue each polls. */
    static final Map<String, String> ROLES = Map.of("workflows", TaskQueues.WORKFLOWS, "llm", TaskQueues.LLM,
            "sandbox", TaskQueues.SANDBOX, "training", TaskQueues.TRAINING);

    record Run(int exit, String output) {}

    static Run helm(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("helm"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "helm timed out");
        return new Run(p.exitValue(), out);
    }

    /** `helm template` of the chart with the given --set values, as kind -> name -> manifest. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Map<String, Object>>> render(String... sets) throws Exception {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, CHART.toString()));
        for (String set : sets) args.addAll(List.of("--set", set));
        Run run = helm(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.output());
        Map<String, Map<String, Map<String, Object>>> byKind = new LinkedHashMap<>();
        for (Object doc : new Yaml().loadAll(run.output())) {
            if (doc == null) continue;
            Map<String, Object> manifest = (Map<String, Object>) doc;
            String name = String.valueOf(((Map<String, Object>) manifest.get("metadata")).get("name"));
            byKind.computeIfAbsent(String.valueOf(manifest.get("kind")), k -> new LinkedHashMap<>()).put(name, manifest);
        }
        return byKind;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> podSpec(Map<String, Object> deployment) {
        return (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) deployment.get("spec"))
                .get("template")).get("spec");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> containers(Map<String, Object> deployment) {
        return (List<Map<String, Object>>) podSpec(deployment).get("containers");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> env(Map<String, Object> container) {
        Map<String, Map<String, Object>> result = new LinkedHashMap<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) container.get("env")) {
            assertEquals(null, result.put(String.valueOf(e.get("name")), e), "env " + e.get("name") + " set twice");
        }
        return result;
    }

    static String value(Map<String, Map<String, Object>> env, String name) {
        assertTrue(env.containsKey(name), name + " missing");
        return String.valueOf(env.get(name).get("value"));
    }

    static String name(String role) {
        return RELEASE + "-" + role;
    }

    @Test
    void lintPasses() throws Exception {
        Run lint = helm("lint", CHART.toString());
        assertEquals(0, lint.exit(), lint.output());
        assertTrue(lint.output().contains("1 chart(s) linted, 0 chart(s) failed"), lint.output());
    }

    @Test
    @SuppressWarnings("unchecked")
    void oneDeploymentPerRolePollingItsQueueScaledOnItsBacklog() throws Exception {
        var manifests = render();
        Map<String, Map<String, Object>> deployments = manifests.get("Deployment");
        Set<String> expected = new HashSet<>();
        ROLES.keySet().forEach(role -> expected.add(name(role)));
        assertEquals(expected, deployments.keySet(), "one Deployment per role (nli is off by default)");

        Map<String, Object> pvc = manifests.get("PersistentVolumeClaim").get(RELEASE + "-data");
        assertEquals(List.of("ReadWriteMany"), ((Map<String, Object>) pvc.get("spec")).get("accessModes"));
        Map<String, Object> secret = manifests.get("Secret").get(RELEASE);
        Set<String> secretKeys = ((Map<String, Object>) secret.get("stringData")).keySet();

        for (var role : ROLES.entrySet()) {
            Map<String, Object> deployment = deployments.get(name(role.getKey()));
            Map<String, Object> worker = containers(deployment).get(0);
            assertEquals(List.of("worker"), worker.get("args"));
            Map<String, Map<String, Object>> env = env(worker);
            assertEquals(role.getValue(), value(env, "AUTOIF_TASK_QUEUES"), role.getKey() + " polls its queue only");
            // every variable is one the worker reads, or its Docker client or AWS SDK does
            for (String key : env.keySet()) {
                if (WorkerVariables.READ_BY_LIBRARIES.contains(key)) continue;
                assertTrue(WorkerVariables.readByWorker(key), key + " is not read by the worker");
            }
            // the key and the database password come from the Secret, never inline
            for (String secretEnv : List.of("OPENAI_API_KEY", "AUTOIF_CACHE_JDBC_URL")) {
                Map<String, Object> ref = (Map<String, Object>) ((Map<String, Object>) env.get(secretEnv).get("valueFrom"))
                        .get("secretKeyRef");
                assertEquals(RELEASE, ref.get("name"));
                assertTrue(secretKeys.contains(String.valueOf(ref.get("key"))), secretEnv + " refers to a missing key");
            }
            // all pods share one data directory: the claim, mounted where AUTOIF_DATA_DIR points
            List<Map<String, Object>> volumes = (List<Map<String, Object>>) podSpec(deployment).get("volumes");
            Map<String, Object> data = volumes.stream().filter(v -> "data".equals(v.get("name"))).findFirst().orElseThrow();
            assertEquals(RELEASE + "-data", ((Map<String, Object>) data.get("persistentVolumeClaim")).get("claimName"));
            assertTrue(String.valueOf(worker.get("volumeMounts")).contains("mountPath=" + value(env, "AUTOIF_DATA_DIR")));
            String port = value(env, "AUTOIF_HTTP_PORT");
            assertTrue(String.valueOf(worker.get("ports")).contains("containerPort=" + port));
            assertTrue(String.valueOf(worker.get("readinessProbe")).contains("path=/health"));
            Map<String, Object> podMeta = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) deployment
                    .get("spec")).get("template")).get("metadata");
            assertEquals(Map.of("prometheus.io/scrape", "true", "prometheus.io/path", "/prometheus", "prometheus.io/port", port),
                    podMeta.get("annotations"));
            // KEDA owns the replica count
            assertFalse(((Map<String, Object>) deployment.get("spec")).containsKey("replicas"));

            Map<String, Object> scaled = manifests.get("ScaledObject").get(name(role.getKey()));
            Map<String, Object> spec = (Map<String, Object>) scaled.get("spec");
            assertEquals(name(role.getKey()), ((Map<String, Object>) spec.get("scaleTargetRef")).get("name"));
            List<Map<String, Object>> triggers = (List<Map<String, Object>>) spec.get("triggers");
            assertEquals(1, triggers.size());
            assertEquals("temporal", triggers.get(0).get("type"));
            Map<String, Object> trigger = (Map<String, Object>) triggers.get(0).get("metadata");
            assertEquals(role.getValue(), trigger.get("taskQueue"));
            assertEquals(value(env, "TEMPORAL_ADDRESS"), trigger.get("endpoint"));
            assertEquals(value(env, "TEMPORAL_NAMESPACE"), trigger.get("namespace"));
            // KEDA's trigger metadata is strings only
            trigger.values().forEach(v -> assertTrue(v instanceof String, "trigger metadata " + v + " is not a string"));
            assertEquals(role.getKey().equals("workflows") ? "workflow,activity" : "activity", trigger.get("queueTypes"));
            assertEquals("false", trigger.get("includeRunningWorkflowCount"), "scaled on backlog, not on open workflows");
        }
        assertEquals(deployments.keySet(), manifests.get("ScaledObject").keySet());
    }

    @Test
    @SuppressWarnings("unchecked")
    void sandboxDockerAccessInBothModesAndABadModeNamed() throws Exception {
        Map<String, Object> dind = render().get("Deployment").get(name("sandbox"));
        List<Map<String, Object>> containers = containers(dind);
        assertEquals(List.of("worker", "dind"), containers.stream().map(c -> c.get("name")).toList());
        Map<String, Object> sidecar = containers.get(1);
        assertEquals(true, ((Map<String, Object>) sidecar.get("securityContext")).get("privileged"));
        String dockerHost = value(env(containers.get(0)), "DOCKER_HOST");
        assertEquals(List.of("dockerd", "--host=" + dockerHost), sidecar.get("args"), "the engine listens where the worker looks");
        assertTrue(dockerHost.startsWith("tcp://127.0.0.1:"), "the engine is reachable from inside the pod only");
        // only the sandbox gets an engine
        for (String role : List.of("workflows", "llm", "training")) {
            Map<String, Object> other = render().get("Deployment").get(name(role));
            assertEquals(1, containers(other).size());
            assertFalse(env(containers(other).get(0)).containsKey("DOCKER_HOST"));
        }

        Map<String, Object> socket = render("sandbox.docker=hostSocket").get("Deployment").get(name("sandbox"));
        assertEquals(1, containers(socket).size(), "no sidecar with the node's socket");
        assertFalse(env(containers(socket).get(0)).containsKey("DOCKER_HOST"), "docker-java's default is the socket");
        assertTrue(String.valueOf(containers(socket).get(0).get("volumeMounts")).contains("mountPath=/var/run/docker.sock"));
        assertTrue(String.valueOf(podSpec(socket).get("volumes")).contains("hostPath={path=/var/run/docker.sock, type=Socket}"));

        Run bad = helm("template", RELEASE, CHART.toString(), "--set", "sandbox.docker=podman");
        assertNotEquals(0, bad.exit());
        assertTrue(bad.output().contains("sandbox.docker: \"podman\" is neither dind nor hostSocket"), bad.output());
    }

    @Test
    @SuppressWarnings("unchecked")
    void withoutKedaFixedReplicasWithExistingSecretAndClaimAndTheNliRole() throws Exception {
        var manifests = render("keda.enabled=false", "secrets.existingSecret=mine", "persistence.existingClaim=shared",
                "roles.nli.enabled=true", "roles.training.replicas=0");
        assertFalse(manifests.containsKey("ScaledObject"));
        assertFalse(manifests.containsKey("Secret"), "an existing Secret is not created again");
        assertFalse(manifests.containsKey("PersistentVolumeClaim"), "an existing claim is not created again");
        Map<String, Map<String, Object>> deployments = manifests.get("Deployment");
        assertEquals(1, ((Map<String, Object>) deployments.get(name("llm")).get("spec")).get("replicas"));
        assertEquals(0, ((Map<String, Object>) deployments.get(name("training")).get("spec")).get("replicas"));
        Map<String, Map<String, Object>> nliEnv = env(containers(deployments.get(name("nli"))).get(0));
        assertEquals("autoif-nli", value(nliEnv, "AUTOIF_TASK_QUEUES"));
        assertTrue(nliEnv.containsKey("AUTOIF_NLI_MODEL_DIR"));
        // with nli on, every queue the worker knows has a Deployment polling it, and no other queue is named
        Set<String> polled = new HashSet<>();
        for (Map<String, Object> d : deployments.values()) {
            Map<String, Map<String, Object>> env = env(containers(d).get(0));
            polled.addAll(List.of(value(env, "AUTOIF_TASK_QUEUES").split(",")));
            assertEquals("mine", String.valueOf(((Map<String, Object>) ((Map<String, Object>) env.get("OPENAI_API_KEY")
                    .get("valueFrom")).get("secretKeyRef")).get("name")));
            assertTrue(String.valueOf(podSpec(d).get("volumes")).contains("claimName=shared"));
        }
        assertEquals(new HashSet<>(TaskQueues.ALL), polled);
    }

    @Test
    @SuppressWarnings("unchecked")
    void anObjectStoreReplacesTheSharedVolume() throws Exception {
        var manifests = render("store.location=s3://autoif/campaigns", "store.s3.endpoint=http://minio.storage:9000",
                "store.s3.pathStyle=true", "secrets.values.s3AccessKeyId=key-id", "secrets.values.s3SecretAccessKey=secret-key");
        assertFalse(manifests.containsKey("PersistentVolumeClaim"), "no shared volume with an object store");
        Map<String, Object> secretData = (Map<String, Object>) manifests.get("Secret").get(RELEASE).get("stringData");
        for (var role : ROLES.keySet()) {
            Map<String, Object> deployment = manifests.get("Deployment").get(name(role));
            Map<String, Object> data = ((List<Map<String, Object>>) podSpec(deployment).get("volumes")).stream()
                    .filter(v -> "data".equals(v.get("name"))).findFirst().orElseThrow();
            assertEquals(Map.of("name", "data", "emptyDir", Map.of()), data, role + "'s data directory is its own scratch");
            // the environment as the pod would see it: Secret references resolved from the Secret the chart renders
            Map<String, String> podEnv = new LinkedHashMap<>();
            env(containers(deployment).get(0)).forEach((key, e) -> {
                Object from = e.get("valueFrom");
                podEnv.put(key, from == null ? String.valueOf(e.get("value"))
                        : String.valueOf(secretData.get(((Map<String, Object>) ((Map<String, Object>) from).get("secretKeyRef")).get("key"))));
            });
            assertEquals("key-id", podEnv.get("AWS_ACCESS_KEY_ID"));
            assertEquals("secret-key", podEnv.get("AWS_SECRET_ACCESS_KEY"));
            assertFalse(podEnv.containsKey("AUTOIF_STORE_SHARED"), role + " declares a volume shared that it does not have");
            DockerComposeFileTest.assertAcceptedWithObjectStore(podEnv);
        }

        Run notS3 = helm("template", RELEASE, CHART.toString(), "--set", "store.location=/mnt/campaigns");
        assertNotEquals(0, notS3.exit());
        assertTrue(notS3.output().contains("store.location: \"/mnt/campaigns\" is not s3://bucket/prefix"), notS3.output());
        Run noKeys = helm("template", RELEASE, CHART.toString(), "--set", "store.location=s3://autoif/campaigns");
        assertNotEquals(0, noKeys.exit());
        assertTrue(noKeys.output().contains("secrets.values.s3AccessKeyId"), noKeys.output());
    }
}
