package dev.autoif.activities.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.autoif.workflows.FailureTypes;
import dev.autoif.workflows.activities.sandbox.EvaluationBatch;
import dev.autoif.workflows.activities.sandbox.EvaluationResult;
import dev.autoif.workflows.crossval.Cell;
import dev.autoif.workflows.crossval.FunctionEvaluation;
import io.temporal.failure.ApplicationFailure;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The sandbox against a real Docker engine and the real verifier image (CI builds both). Hostile
 * functions share one batch with honest ones: each must be contained and reported in its own
 * cells while the honest functions around it are still scored correctly.
 */
@Tag("docker")
class DockerSandboxTest {
    static final String IMAGE = System.getenv().getOrDefault("AUTOIF_VERIFIER_IMAGE", "autoif/verifier:1");
    static DockerClient docker;
    static DockerSandbox sandbox;

    /** An honest verifier placed between hostile ones: must score exactly. */
    static final String HONEST = "def evaluate(response):\n    return len(response.split()) >= 3";
    static final List<String> INPUTS = List.of("one two three four", "too short");

    static final Map<String, String> HOSTILE = new LinkedHashMap<>();

    static {
        HOSTILE.put("infinite loop", "def evaluate(response):\n    while True:\n        pass");
        HOSTILE.put("catastrophic regex", "import re\ndef evaluate(response):\n    return bool(re.match(r'(a+)+$', 'a' * 64 + 'b'))");
        HOSTILE.put("huge integer", "def evaluate(response):\n    return len(str(10 ** (10 ** 9))) > 0");
        HOSTILE.put("fork bomb", "import os\ndef evaluate(response):\n    while True:\n        os.fork()");
        HOSTILE.put("thread bomb", "import threading, time\ndef evaluate(response):\n    while True:\n        threading.Thread(target=time.sleep, args=(60,)).start()");
        HOSTILE.put("memory bomb", "def evaluate(response):\n    blocks = []\n    while True:\n        blocks.append(bytearray(50 * 1024 * 1024))");
        HOSTILE.put("fill the disk", "def evaluate(response):\n    with open('/tmp/fill', 'wb') as f:\n        while True:\n            f.write(b'x' * 1024 * 1024)");
        HOSTILE.put("write outside scratch", "def evaluate(response):\n    open('/etc/owned', 'w').write('x')\n    return True");
        HOSTILE.put("network", "import socket\ndef evaluate(response):\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\n    return True");
        HOSTILE.put("os._exit", "import os\ndef evaluate(response):\n    os._exit(3)");
        HOSTILE.put("sys.exit", "import sys\ndef evaluate(response):\n    sys.exit(0)");
        HOSTILE.put("KeyboardInterrupt", "def evaluate(response):\n    raise KeyboardInterrupt");
        HOSTILE.put("close stdout", "import os, sys\ndef evaluate(response):\n    sys.stdout.close()\n    os.close(1)\n    os.close(2)\n    return None");
        HOSTILE.put("print gigabytes", "def evaluate(response):\n    while True:\n        print('x' * 1000000)");
        HOSTILE.put("recursion bomb", "def evaluate(response):\n    return evaluate(response)");
        HOSTILE.put("ctypes segfault", "import ctypes\ndef evaluate(response):\n    return ctypes.string_at(0) == b''");
        HOSTILE.put("missing module", "import module_that_does_not_exist\ndef evaluate(response):\n    return True");
        HOSTILE.put("syntax error", "def evaluate(response)\n    return True");
        HOSTILE.put("returns an int", "def evaluate(response):\n    return 1");
        HOSTILE.put("eval of the response", "def evaluate(response):\n    return eval(response)");
        HOSTILE.put("no evaluate", "def check(response):\n    return True");
        HOSTILE.put("kill the parent process", "import os, signal\ndef evaluate(response):\n"
                + "    os.kill(os.getppid(), signal.SIGKILL)\n    os.kill(1, signal.SIGKILL)\n    return None");
        HOSTILE.put("read /etc/shadow", "def evaluate(response):\n    return len(open('/etc/shadow').read()) > 0");
    }

    @BeforeAll
    static void connect() {
        docker = DockerClients.create(4);
        SandboxSettings defaults = SandboxSettings.defaults(IMAGE);
        sandbox = new DockerSandbox(docker, defaults);
        sandbox.requireImage();
        sandbox.sweepOrphans(); // leftovers of an earlier, killed run are not this run's to answer for
    }

    @AfterAll
    static void noContainerLeftBehind() {
        var left = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerSandbox.LABEL_ROLE, "verifier")).exec();
        assertEquals(0, left.size(), "verifier containers left behind: " + left);
        var volumes = docker.listVolumesCmd().withFilter("label", List.of(DockerSandbox.LABEL_ROLE + "=verifier")).exec().getVolumes();
        assertTrue(volumes == null || volumes.isEmpty(), "batch volumes left behind: " + volumes);
    }

    private static EvaluationResult run(List<String> functions, List<String> inputs, int timeoutSeconds) {
        return sandbox.evaluate(new EvaluationBatch("test", "batch", functions, inputs, timeoutSeconds), () -> { });
    }

    static void assertHonest(FunctionEvaluation row, String after) {
        assertNull(row.definitionError(), "honest function after '" + after + "'");
        assertEquals(Boolean.TRUE, row.cells().get(0).value(), "honest function after '" + after + "'");
        assertEquals(Boolean.FALSE, row.cells().get(1).value(), "honest function after '" + after + "'");
    }

    @Test
    void hostileFunctionsAreContainedAndHonestOnesStillScored() {
        assertHostileContained(run(hostileBetweenHonest(), INPUTS, 2).rows());
    }

    /** Every hostile function, each followed by {@link #HONEST}. */
    static List<String> hostileBetweenHonest() {
        List<String> functions = new java.util.ArrayList<>();
        for (String source : HOSTILE.values()) {
            functions.add(source);
            functions.add(HONEST);
        }
        return functions;
    }

    /** The rows of {@link #hostileBetweenHonest()} on {@link #INPUTS}: every hostile one contained, every honest one exact. */
    static void assertHostileContained(List<FunctionEvaluation> rows) {
        List<String> names = List.copyOf(HOSTILE.keySet());
        assertEquals(2 * names.size(), rows.size());
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            FunctionEvaluation hostile = rows.get(2 * i);
            if (hostile.definitionError() == null) {
                for (Cell c : hostile.cells()) {
                    assertNull(c.value(), name + " must abstain, got " + c);
                    assertTrue(c.error() != null || c.timedOut() || !"bool".equals(c.returnType()), name + ": " + c);
                }
            } else {
                assertTrue(List.of("missing module", "syntax error", "no evaluate", "kill the parent process").contains(name),
                        name + " should fail per call, not at definition: " + hostile.definitionError());
            }
            assertHonest(rows.get(2 * i + 1), name);
        }
        assertTrue(rows.get(2 * names.indexOf("infinite loop")).cells().get(0).timedOut());
        assertTrue(rows.get(2 * names.indexOf("catastrophic regex")).cells().get(0).timedOut());
        assertEquals("int", rows.get(2 * names.indexOf("returns an int")).cells().get(0).returnType());
        assertTrue(rows.get(2 * names.indexOf("missing module")).definitionError().contains("ModuleNotFoundError"));
        assertTrue(rows.get(2 * names.indexOf("syntax error")).definitionError().contains("SyntaxError"));
        assertTrue(rows.get(2 * names.indexOf("write outside scratch")).cells().get(0).error().contains("Read-only"));
    }

    @Test
    void monkeypatchingBuiltinsCannotChangeLaterFunctions() {
        String patcher = "import builtins\nbuiltins.len = lambda x: 0\nbuiltins.bool = lambda x: True\n"
                + "def evaluate(response):\n    return len(response) == 0";
        EvaluationResult r = run(List.of(patcher, HONEST), INPUTS, 2);
        assertEquals(Boolean.TRUE, r.rows().get(0).cells().get(0).value(), "the patch applies inside its own function");
        assertHonest(r.rows().get(1), "monkeypatching builtins");
    }

    /**
     * Functions of one instruction may share a process (runner.py's trade-off): whatever one leaves
     * behind in its process must not reach the next. Each tamperer is followed by a checker that
     * returns True only in a pristine process.
     */
    @Test
    void stateLeftBehindInTheProcessCannotReachTheNextFunctionOfTheSameInstruction() {
        String checker = "import re, os, sys, signal, threading, random, json, collections\n"
                + "def evaluate(response):\n"
                + "    return (re.search('b', 'abc') is not None and json.dumps(1) == '1' and os.getcwd() == '/'\n"
                + "            and 'AUTOIF_PLANTED' not in os.environ and sys.getrecursionlimit() >= 1000\n"
                + "            and threading.active_count() == 1 and signal.getsignal(signal.SIGALRM) == signal.SIG_DFL\n"
                + "            and random.random() == random.Random(0).random() and len('ab') == 2\n"
                + "            and collections.Counter('aab').most_common(1) == [('a', 2)])";
        Map<String, String> tamperers = new LinkedHashMap<>();
        tamperers.put("patch a module", "import re\nre.search = lambda *a, **k: None\ndef evaluate(response):\n    return True");
        tamperers.put("patch a module inside evaluate", "def evaluate(response):\n    import json\n    json.dumps = lambda o: 'x'\n    return True");
        tamperers.put("patch a class", "import collections\ncollections.Counter.most_common = None\ndef evaluate(response):\n    return True");
        tamperers.put("leave a thread", "import threading, time\ndef evaluate(response):\n"
                + "    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n    return True");
        tamperers.put("arm an alarm", "import signal\ndef evaluate(response):\n"
                + "    signal.signal(signal.SIGALRM, lambda *a: None)\n    signal.alarm(30)\n    return True");
        tamperers.put("environment and directory", "import os\ndef evaluate(response):\n"
                + "    os.environ['AUTOIF_PLANTED'] = '1'\n    os.chdir('/tmp')\n    return True");
        tamperers.put("recursion limit", "import sys\ndef evaluate(response):\n    sys.setrecursionlimit(60)\n    return True");
        tamperers.put("consume randomness", "import random\ndef evaluate(response):\n    random.random()\n    return True");
        tamperers.put("patch builtins in evaluate", "import builtins\ndef evaluate(response):\n    builtins.len = lambda x: 7\n    return True");
        tamperers.put("leave a child", "import os, time\ndef evaluate(response):\n"
                + "    if os.fork() == 0:\n        time.sleep(30)\n        os._exit(0)\n    return True");
        List<String> functions = new java.util.ArrayList<>();
        for (String source : tamperers.values()) {
            functions.add(source);
            functions.add(checker);
        }
        EvaluationResult r = run(functions, INPUTS, 2);
        int i = 0;
        for (String name : tamperers.keySet()) {
            assertEquals(Boolean.TRUE, r.rows().get(2 * i).cells().get(0).value(), name + " runs: " + r.rows().get(2 * i));
            FunctionEvaluation after = r.rows().get(2 * i + 1);
            assertNull(after.definitionError(), "after '" + name + "': " + after);
            assertEquals(Boolean.TRUE, after.cells().get(0).value(), "after '" + name + "': " + after);
            assertEquals(Boolean.TRUE, after.cells().get(1).value(), "after '" + name + "': " + after);
            i++;
        }
    }

    @Test
    void aFileWrittenByOneFunctionCannotShadowAModuleForAnother() {
        String plant = "import os\ndef evaluate(response):\n"
                + "    open(os.environ['TMPDIR'] + '/calendar.py', 'w').write('monthrange = None')\n    return True";
        String victim = "import os, tempfile\ndef evaluate(response):\n    os.chdir(tempfile.gettempdir())\n    import calendar\n"
                + "    return calendar.monthrange is not None";
        EvaluationResult r = run(List.of(plant, victim), INPUTS, 2);
        assertEquals(Boolean.TRUE, r.rows().get(0).cells().get(0).value(), "scratch space is writable: " + r);
        assertEquals(Boolean.TRUE, r.rows().get(1).cells().get(0).value(), "but never on the import path: " + r);
    }

    @Test
    void manyGroupsInOneContainerAreScoredApartAcrossWorkers() {
        DockerSandbox twoWorkers = new DockerSandbox(docker, new SandboxSettings(IMAGE, 512, 2.0, 128, 16, 8 << 20,
                java.time.Duration.ofMinutes(5)));
        List<DockerSandbox.Group> groups = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            groups.add(new DockerSandbox.Group(List.of("def evaluate(response):\n    return len(response) == " + i, HONEST),
                    List.of("x".repeat(i), "a b c")));
        }
        var result = twoWorkers.evaluateGroups("test", "groups", groups, 2, () -> { });
        assertEquals(6, result.size());
        for (int i = 0; i < 6; i++) {
            assertEquals(Boolean.TRUE, result.get(i).get(0).cells().get(0).value(), "group " + i);
            assertEquals(i == 5, Boolean.TRUE.equals(result.get(i).get(0).cells().get(1).value()), "group " + i);
            assertEquals(Boolean.TRUE, result.get(i).get(1).cells().get(1).value(), "group " + i);
        }
    }

    @Test
    void helpersAndImportsAreVisibleToEvaluate() {
        String withHelper = "import re\n\ndef count_words(text):\n    return len(re.findall(r'\\w+', text))\n\n"
                + "def evaluate(response):\n    return count_words(response) >= 3";
        EvaluationResult r = run(List.of(withHelper), INPUTS, 2);
        assertNull(r.rows().get(0).definitionError());
        assertEquals(Boolean.TRUE, r.rows().get(0).cells().get(0).value());
        assertEquals(Boolean.FALSE, r.rows().get(0).cells().get(1).value());
    }

    @Test
    void secretsAndHostEnvironmentAreNotVisible() {
        String snoop = "import os\ndef evaluate(response):\n"
                + "    allowed = {'PYTHONHASHSEED', 'PYTHONDONTWRITEBYTECODE', 'HOME', 'TMPDIR', 'PATH', 'LANG', 'HOSTNAME'}\n"
                + "    return set(os.environ) <= allowed and os.getuid() != 0";
        String deterministic = "import random\ndef evaluate(response):\n    return random.random() == random.Random(0).random()"
                + " and hash('autoif') == " + pythonHashOfAutoifWithSeedZero();
        EvaluationResult r = run(List.of(snoop, deterministic), INPUTS, 2);
        assertEquals(Boolean.TRUE, r.rows().get(0).cells().get(0).value(), "only the sandbox's own variables, non-root: " + r);
        assertEquals(Boolean.TRUE, r.rows().get(1).cells().get(0).value(), "seeded random and fixed hash seed: " + r);
    }

    /** hash('autoif') under PYTHONHASHSEED=0, computed by the image's own python. */
    private static String pythonHashOfAutoifWithSeedZero() {
        var id = docker.createContainerCmd(IMAGE).withCmd("python3", "-c", "print(hash('autoif'))")
                .withEnv("PYTHONHASHSEED=0").withNetworkDisabled(true).exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            docker.waitContainerCmd(id).start().awaitStatusCode();
            StringBuilder out = new StringBuilder();
            try {
                docker.logContainerCmd(id).withStdOut(true).exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Frame>() {
                    @Override
                    public void onNext(com.github.dockerjava.api.model.Frame f) {
                        out.append(new String(f.getPayload()));
                    }
                }).awaitCompletion();
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
            return out.toString().strip();
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    @Test
    void missingImageIsANonRetryableFailureNamingTheBuildCommand() {
        DockerSandbox noImage = new DockerSandbox(docker, SandboxSettings.defaults("autoif/no-such-image:0"));
        ApplicationFailure f = assertThrows(ApplicationFailure.class,
                () -> noImage.evaluate(new EvaluationBatch("t", "b", List.of(HONEST), INPUTS, 2), () -> { }));
        assertEquals(FailureTypes.SANDBOX_IMAGE_MISSING, f.getType());
        assertTrue(f.isNonRetryable());
        assertTrue(f.getOriginalMessage().contains("deploy/verifier/build-image.sh"), f.getOriginalMessage());
    }

    @Test
    void unreachableEngineIsARetryableFailureSayingSo() {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost("unix:///tmp/no-docker-here.sock").build();
        DockerClient nowhere = DockerClientImpl.getInstance(config,
                new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost()).build());
        DockerSandbox down = new DockerSandbox(nowhere, SandboxSettings.defaults(IMAGE));
        ApplicationFailure f = assertThrows(ApplicationFailure.class,
                () -> down.evaluate(new EvaluationBatch("t", "b", List.of(HONEST), INPUTS, 2), () -> { }));
        assertEquals(FailureTypes.SANDBOX_ENGINE_DOWN, f.getType());
        assertFalse(f.isNonRetryable());
        assertNotNull(f.getOriginalMessage());
    }
}
