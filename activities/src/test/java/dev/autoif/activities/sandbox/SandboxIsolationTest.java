package dev.autoif.activities.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Instructions that share a container cannot reach each other. Hostile verifiers run beside
 * honest instructions whose verdicts are known, all in ONE coalesced container through the
 * production path (the coalescing activity and the Docker sandbox): the honest verdicts must be
 * exactly right, no attack may report success (its function raises "BREACH ..." or "LEAK ..."
 * when a step worked), no other instruction's input may show up anywhere, and nothing may be left
 * behind. Each attack worked against the runner before the per-instruction boundary.
 */
@Tag("docker")
class SandboxIsolationTest {
    static final String IMAGE = DockerSandboxTest.IMAGE;
    static final String CAMPAIGN = "isolation-test";
    static DockerClient docker;

    /** Shared by the attacks: the other processes of the container. */
    static final String PIDS = "import os, json, gc, ctypes, resource, signal, time, sys\n"
            + "def _pids():\n    return [int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]\n";

    static final Map<String, String> ATTACKS = new LinkedHashMap<>();

    static {
        // Planted for the victim instruction (which runs after it, in the same shard: it imports nltk too).
        ATTACKS.put("plant a pickle, a /tmp file, a HOME file and a /dev/shm file", "import nltk, os, pickle\n"
                + "def evaluate(response):\n"
                + "    for d in ['/tmp/nltk_data', os.path.expanduser('~/nltk_data')] + list(nltk.data.path):\n"
                + "        try:\n"
                + "            os.makedirs(d + '/tokenizers/punkt', exist_ok=True)\n"
                + "            with open(d + '/tokenizers/punkt/english.pickle', 'wb') as f:\n"
                + "                f.write(pickle.dumps({'planted': True}))\n"
                + "            os.chmod(d + '/tokenizers/punkt/english.pickle', 0o666)\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "    for p in ('/tmp/autoif-plant', '/dev/shm/autoif-plant', os.path.expanduser('~/autoif-plant')):\n"
                + "        try:\n"
                + "            open(p, 'w').write('x')\n"
                + "            os.chmod(p, 0o666)\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "    return None");
        ATTACKS.put("forged report on the runner's stdout", PIDS
                + "def evaluate(response):\n"
                + "    try:\n"
                + "        groups = json.load(open('/batch/batch.json'))['groups']\n"
                + "    except Exception:\n"
                + "        groups = [{'functions': [0] * 8, 'inputs': [0] * 4}] * 64\n"
                + "    if not isinstance(groups, list):\n"
                + "        groups = [{'functions': [0] * 8, 'inputs': [0] * 4}] * groups\n"
                + "    forged = json.dumps({'groups': [{'disturbed': False, 'rows': [{'definitionError': None,\n"
                + "        'cells': 'T' * len(g['inputs']), 'abstentions': {}} for _ in g['functions']]} for g in groups]})\n"
                + "    hits = []\n"
                + "    for pid in [1] + _pids():\n"
                + "        for fd in (1, 2):\n"
                + "            try:\n"
                + "                with open('/proc/%d/fd/%d' % (pid, fd), 'w') as f:\n"
                + "                    f.write(forged)\n"
                + "                hits.append('%d/%d' % (pid, fd))\n"
                + "            except OSError:\n"
                + "                pass\n"
                + "    for fd in (1, 2):\n"
                + "        try:\n"
                + "            os.write(fd, forged.encode())\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "    if hits:\n"
                + "        raise Exception('BREACH forged report through ' + ','.join(hits[:4]))\n"
                + "    return None");
        ATTACKS.put("short report on the runner's stdout", PIDS
                + "def evaluate(response):\n"
                + "    for pid in [1] + _pids():\n"
                + "        try:\n"
                + "            with open('/proc/%d/fd/1' % pid, 'w') as f:\n"
                + "                f.write('{\"groups\": [{\"rows\": []}]}')\n"
                + "            raise Exception('BREACH short report through %d' % pid)\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "    return None");
        ATTACKS.put("forged frames on every descriptor and the shards' pipes", PIDS
                + "def evaluate(response):\n"
                + "    rows = [[g, f, {'definitionError': None, 'cells': 'TT', 'abstentions': {}}] for g in range(40) for f in range(4)]\n"
                + "    data = json.dumps(rows).encode()\n"
                + "    frame = len(data).to_bytes(4, 'big') + data\n"
                + "    hits = []\n"
                + "    for pid in [1] + _pids():\n"
                + "        for fd in range(3, 64):\n"
                + "            try:\n"
                + "                with open('/proc/%d/fd/%d' % (pid, fd), 'wb') as f:\n"
                + "                    f.write(frame)\n"
                + "                hits.append('%d/%d' % (pid, fd))\n"
                + "            except OSError:\n"
                + "                pass\n"
                + "    for fd in range(3, 256):\n"
                + "        try:\n"
                + "            os.write(fd, frame)\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "    if hits:\n"
                + "        raise Exception('BREACH frames through ' + ','.join(hits[:4]))\n"
                + "    return None");
        ATTACKS.put("ptrace, /proc/pid/mem, prlimit and signals on every other process", PIDS
                + "def evaluate(response):\n"
                + "    libc = ctypes.CDLL(None, use_errno=True)\n"
                + "    hits = []\n"
                + "    for pid in [1] + _pids():\n"
                + "        if libc.ptrace(16, pid, 0, 0) == 0:\n"
                + "            hits.append('ptrace %d' % pid)\n"
                + "            libc.ptrace(17, pid, 0, 0)\n"
                + "        try:\n"
                + "            open('/proc/%d/mem' % pid, 'r+b').close()\n"
                + "            hits.append('mem %d' % pid)\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "        try:\n"
                + "            resource.prlimit(pid, resource.RLIMIT_CPU, (1, 1))\n"
                + "            hits.append('prlimit %d' % pid)\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "        try:\n"
                + "            os.kill(pid, signal.SIGSTOP)\n"
                + "            os.kill(pid, signal.SIGCONT)\n"
                + "            hits.append('signal %d' % pid)\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "    if hits:\n"
                + "        raise Exception('BREACH ' + ','.join(hits[:6]))\n"
                + "    return None");
        ATTACKS.put("read every instruction's inputs: batch files, own memory, other processes' memory", PIDS
                + "def evaluate(response):\n"
                + "    found = set()\n"
                + "    import re\n"
                + "    def look(text):\n"
                + "        found.update(m[:60] for m in re.findall(r'SECRET-[0-9a-f]{8}-[^ ]*', text))\n"
                + "    for root, dirs, files in os.walk('/batch'):\n"
                + "        for name in files:\n"
                + "            try:\n"
                + "                look(open(os.path.join(root, name), errors='replace').read())\n"
                + "            except OSError:\n"
                + "                pass\n"
                + "    for o in gc.get_objects():\n"
                + "        items = o if isinstance(o, (list, tuple)) else list(o.keys()) + list(o.values()) if isinstance(o, dict) else ()\n"
                + "        for x in items:\n"
                + "            if type(x) is str:\n"
                + "                look(x)\n"
                + "    for pid in [1] + _pids():\n"
                + "        try:\n"
                + "            with open('/proc/%d/maps' % pid) as maps, open('/proc/%d/mem' % pid, 'rb') as mem:\n"
                + "                for line in maps:\n"
                + "                    span, perms = line.split()[:2]\n"
                + "                    if 'r' in perms and 'w' in perms:\n"
                + "                        start, end = (int(x, 16) for x in span.split('-'))\n"
                + "                        try:\n"
                + "                            mem.seek(start)\n"
                + "                            look(mem.read(min(end - start, 1 << 24)).decode('latin-1'))\n"
                + "                        except (OSError, ValueError, OverflowError):\n"
                + "                            pass\n"
                + "        except OSError:\n"
                + "            pass\n"
                + "    if found:\n"
                + "        raise Exception('LEAK ' + ' | '.join(sorted(found)))\n"
                + "    return None");
        ATTACKS.put("tamper with the timeout's start time, then loop", PIDS
                + "import struct\n"
                + "def evaluate(response):\n"
                + "    for line in open('/proc/self/maps'):\n"
                + "        span, perms = line.split()[:2]\n"
                + "        if perms.startswith('rw') and perms[3] == 's':\n"
                + "            ctypes.memmove(int(span.split('-')[0], 16), struct.pack('<dii', 1e300, 0, 0), 16)\n"
                + "    while True:\n"
                + "        pass");
        ATTACKS.put("setsid daemon that kills every process it can", PIDS
                + "def evaluate(response):\n"
                + "    if os.fork() == 0:\n"
                + "        os.setsid()\n"
                + "        if os.fork() == 0:\n"
                + "            end = time.time() + 4\n"
                + "            while time.time() < end:\n"
                + "                try:\n"
                + "                    os.kill(-1, signal.SIGKILL)\n"
                + "                except OSError:\n"
                + "                    pass\n"
                + "                time.sleep(0.005)\n"
                + "        os._exit(0)\n"
                + "    time.sleep(0.3)\n"
                + "    return None");
    }

    /**
     * The victim instruction: each function is True unless something planted by another instruction
     * reaches it. They import nltk, as the planter does, so they run after it in the same shard.
     */
    static final List<String> VICTIM = List.of(
            "import nltk\ndef evaluate(response):\n    try:\n        nltk.data.load('tokenizers/punkt/english.pickle')\n"
                    + "        return False\n    except LookupError:\n        return True",
            "import nltk, os\ndef evaluate(response):\n    return not os.path.exists('/tmp/autoif-plant') and not os.path.exists('/dev/shm/autoif-plant')",
            "import nltk, os\ndef evaluate(response):\n    return not os.path.exists(os.path.expanduser('~/autoif-plant'))",
            "import nltk, tempfile, os\ndef evaluate(response):\n    return os.listdir(tempfile.gettempdir()) == []");

    static final String HONEST = "def evaluate(response):\n    return len(response.split()) >= 3";
    static final List<String> ATTACK_INPUTS = List.of("a b c d", "x");

    @BeforeAll
    static void connect() {
        docker = DockerClients.create(4);
        new DockerSandbox(docker, SandboxSettings.defaults(IMAGE)).requireImage();
    }

    @AfterAll
    static void nothingLeftBehind() {
        for (String campaign : List.of(CAMPAIGN, "tenant-a", "tenant-b", "cancel-test")) {
            var left = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(DockerSandbox.LABEL_ROLE, "verifier", DockerSandbox.LABEL_CAMPAIGN, campaign)).exec();
            assertEquals(0, left.size(), "verifier containers left behind: " + left);
        }
        var volumes = docker.listVolumesCmd().withFilter("label", List.of(DockerSandbox.LABEL_CAMPAIGN + "=" + CAMPAIGN)).exec().getVolumes();
        assertTrue(volumes == null || volumes.isEmpty(), "batch volumes left behind: " + volumes);
    }

    /** An honest instruction with private inputs: its functions' verdicts are computed here. */
    record Honest(EvaluationBatch batch, List<List<Boolean>> expected) {}

    static Honest honest(int i, String secret) {
        List<String> inputs = List.of(secret + "-h" + i + " one two", "short " + i, "digits 42 and " + secret + "-x" + i, "none");
        List<String> functions = List.of(HONEST,
                "import re\ndef evaluate(response):\n    return re.search(r'\\d', response) is not None",
                "def evaluate(response):\n    return response.startswith('SECRET')");
        List<List<Boolean>> expected = List.of(
                inputs.stream().map(r -> r.split(" ").length >= 3).toList(),
                inputs.stream().map(r -> r.matches("(?s).*\\d.*")).toList(),
                inputs.stream().map(r -> r.startsWith("SECRET")).toList());
        return new Honest(new EvaluationBatch(CAMPAIGN, "honest-" + i, functions, inputs, 2), expected);
    }

    static void assertVerdicts(List<List<Boolean>> expected, EvaluationResult actual, String what) {
        assertEquals(expected.size(), actual.rows().size(), what);
        for (int f = 0; f < expected.size(); f++) {
            FunctionEvaluation row = actual.rows().get(f);
            assertEquals(null, row.definitionError(), what + " function " + f);
            assertEquals(expected.get(f), row.cells().stream().map(Cell::value).toList(), what + " function " + f + ": " + row);
        }
    }

    /** Starts the calls one after another (so the container holds them in this order) and waits for all. */
    static List<Future<EvaluationResult>> submitInOrder(ExecutorService pool, SandboxActivitiesImpl activities,
                                                        List<EvaluationBatch> batches) throws InterruptedException {
        List<Future<EvaluationResult>> futures = new ArrayList<>();
        for (EvaluationBatch b : batches) {
            futures.add(pool.submit(() -> activities.evaluate(b, () -> { })));
            Thread.sleep(40);
        }
        return futures;
    }

    @Test
    void hostileInstructionsInTheSameContainerCannotReachTheOthers() throws Exception {
        String secret = "SECRET-" + UUID.randomUUID();
        List<String> names = List.copyOf(ATTACKS.keySet());
        List<EvaluationBatch> batches = new ArrayList<>();
        for (int a = 0; a < names.size(); a++) {
            batches.add(new EvaluationBatch(CAMPAIGN, "attack-" + a, List.of(ATTACKS.get(names.get(a)), HONEST), ATTACK_INPUTS, 2));
        }
        List<Honest> honest = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            honest.add(honest(i, secret));
            batches.add(honest.get(i).batch());
        }
        // A call that only sleeps: it gets no CPU, so its timeouts may be a neighbour's doing: re-run alone.
        batches.add(new EvaluationBatch(CAMPAIGN, "sleeper", List.of("import time\ndef evaluate(response):\n    time.sleep(30)"),
                List.of("z"), 2));
        batches.add(new EvaluationBatch(CAMPAIGN, "victim", VICTIM, List.of("v"), 2));

        SandboxSettings d = SandboxSettings.defaults(IMAGE);
        DockerSandbox shared = new DockerSandbox(docker, new SandboxSettings(IMAGE, d.memoryMb(), d.cpus(), d.pids(), d.tmpfsMb(),
                d.maxOutputBytes(), Duration.ofSeconds(90)));
        SandboxActivitiesImpl activities = new SandboxActivitiesImpl(shared,
                new SandboxActivitiesImpl.Coalescing(Duration.ofSeconds(4), 64, 400_000, 2));
        ExecutorService pool = Executors.newFixedThreadPool(batches.size());
        List<EvaluationResult> results = new ArrayList<>();
        try {
            for (Future<EvaluationResult> f : submitInOrder(pool, activities, batches)) results.add(f.get(5, TimeUnit.MINUTES));
        } finally {
            pool.shutdownNow();
        }

        for (int i = 0; i < honest.size(); i++) {
            assertVerdicts(honest.get(i).expected(), results.get(names.size() + i), "honest instruction " + i);
        }
        EvaluationResult victim = results.get(results.size() - 1);
        for (int f = 0; f < VICTIM.size(); f++) {
            assertEquals(Boolean.TRUE, victim.rows().get(f).cells().get(0).value(), "victim check " + f + ": " + victim.rows().get(f));
        }
        for (int a = 0; a < names.size(); a++) {
            EvaluationResult r = results.get(a);
            String text = r.toString();
            assertFalse(text.contains("BREACH") || text.contains("LEAK"), names.get(a) + " succeeded: " + text);
            assertEquals(List.of(true, false), r.rows().get(1).cells().stream().map(Cell::value).toList(),
                    "the honest function beside '" + names.get(a) + "': " + r.rows().get(1));
        }
        String everything = results.toString();
        assertFalse(everything.contains(secret), "an instruction's private input reached another's results: " + everything);
        Cell slept = results.get(results.size() - 2).rows().get(0).cells().get(0);
        assertTrue(slept.timedOut(), "the sleeper times out: " + slept);
        assertTrue(shared.containersCreated() >= 2, "the sleeper's batch ran again, alone: " + shared.containersCreated());
    }

    @Test
    void containersHoldOneCampaignUnlessTheOperatorOptsIn() throws Exception {
        List<EvaluationBatch> batches = List.of(
                new EvaluationBatch("tenant-a", "a1", List.of(HONEST), ATTACK_INPUTS, 2),
                new EvaluationBatch("tenant-b", "b1", List.of(HONEST), ATTACK_INPUTS, 2),
                new EvaluationBatch("tenant-a", "a2", List.of(HONEST), ATTACK_INPUTS, 2),
                new EvaluationBatch("tenant-b", "b2", List.of(HONEST), ATTACK_INPUTS, 2));
        for (boolean mix : List.of(false, true)) {
            DockerSandbox sandbox = new DockerSandbox(docker, SandboxSettings.defaults(IMAGE));
            SandboxActivitiesImpl activities = new SandboxActivitiesImpl(sandbox,
                    new SandboxActivitiesImpl.Coalescing(Duration.ofSeconds(3), 64, 400_000, 2, mix));
            ExecutorService pool = Executors.newFixedThreadPool(batches.size());
            try {
                for (Future<EvaluationResult> f : submitInOrder(pool, activities, batches)) {
                    assertEquals(List.of(true, false), f.get(2, TimeUnit.MINUTES).rows().get(0).cells().stream().map(Cell::value).toList());
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(mix ? 1 : 2, sandbox.containersCreated(), mix ? "opted in: one container" : "one container per campaign");
        }
    }

    /** Issue 10: a member of a round that is cancelled (its heartbeat throws) leaves; the others still get their rows. */
    @Test
    void aCancelledLeaderDoesNotFailTheOtherMembersOfItsRound() throws Exception {
        List<EvaluationBatch> batches = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batches.add(new EvaluationBatch("cancel-test", "m" + i,
                    List.of("def evaluate(response):\n    return len(response) == " + i), List.of("x".repeat(i), "yy"), 2));
        }
        DockerSandbox sandbox = new DockerSandbox(docker, SandboxSettings.defaults(IMAGE));
        // A window longer than the heartbeat interval (5 s): every caller heartbeats while the round fills.
        SandboxActivitiesImpl activities = new SandboxActivitiesImpl(sandbox,
                new SandboxActivitiesImpl.Coalescing(Duration.ofSeconds(7), 64, 400_000, 2));
        ExecutorService pool = Executors.newFixedThreadPool(batches.size());
        try {
            Future<EvaluationResult> leader = pool.submit(() -> activities.evaluate(batches.get(0), () -> {
                throw new io.temporal.client.ActivityCanceledException();
            }));
            Thread.sleep(200);
            List<Future<EvaluationResult>> members = new ArrayList<>();
            for (EvaluationBatch b : batches.subList(1, 4)) members.add(pool.submit(() -> activities.evaluate(b, () -> { })));
            ExecutionException cancelled = assertThrows(ExecutionException.class, () -> leader.get(2, TimeUnit.MINUTES));
            assertInstanceOf(io.temporal.client.ActivityCanceledException.class, cancelled.getCause());
            for (int i = 1; i < 4; i++) {
                EvaluationResult r = members.get(i - 1).get(2, TimeUnit.MINUTES);
                assertEquals(java.util.Arrays.asList(true, i == 2), r.rows().get(0).cells().stream().map(Cell::value).toList(), "member " + i);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, sandbox.containersCreated(), "the three members shared one container, without the leader");
    }

    @Test
    void onlyOneWellShapedReportOfThisContainerIsAccepted() throws Exception {
        List<DockerSandbox.Group> batch = List.of(new DockerSandbox.Group(List.of("f", "g"), List.of("a", "b")));
        String good = "{\"token\":\"t\",\"groups\":[{\"disturbed\":false,\"rows\":["
                + "{\"definitionError\":null,\"cells\":\"T?\",\"abstentions\":{\"1\":{\"e\":\"boom\"}}},"
                + "{\"definitionError\":\"SyntaxError\",\"cells\":\"\"}]}]}";
        var rows = DockerSandbox.readReport(good.getBytes(StandardCharsets.UTF_8), batch, "t");
        assertEquals("boom", rows.get(0).rows().get(0).cells().get(1).error());
        assertEquals("SyntaxError", rows.get(0).rows().get(1).definitionError());
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("a second document", good + good);
        bad.put("another container's token", good.replace("\"t\"", "\"u\""));
        bad.put("no groups", "{\"token\":\"t\",\"groups\":[]}");
        bad.put("a short row", good.replace("\"T?\"", "\"T\"").replace("{\"1\":{\"e\":\"boom\"}}", "{}"));
        bad.put("a missing row", good.replace(",{\"definitionError\":\"SyntaxError\",\"cells\":\"\"}", ""));
        bad.put("an unexplained abstention", good.replace("{\"1\":{\"e\":\"boom\"}}", "{}"));
        bad.put("a cell that is not T, F or ?", good.replace("\"T?\"", "\"X?\""));
        bad.put("not JSON", "{\"groups\": [");
        for (var e : bad.entrySet()) {
            Exception thrown = assertThrows(Exception.class,
                    () -> DockerSandbox.readReport(e.getValue().getBytes(StandardCharsets.UTF_8), batch, "t"), e.getKey());
            assertTrue(thrown instanceof IllegalArgumentException || thrown instanceof java.io.IOException, e.getKey() + ": " + thrown);
        }
    }
}
