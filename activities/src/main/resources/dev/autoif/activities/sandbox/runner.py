# Verifier runner: executes untrusted `evaluate(response)` functions inside the sandbox container.
#
# Protocol: argv[1] names the batch directory, readable by this process only:
#   batch.json  {"token": str, "groups": int, "timeout_s": float, "deadline_s": float,
#                "memory_mb": int, "seed": int, "workers": int}
#   groups/<g>.json  {"functions": [src...], "inputs": [str...]}   one file per instruction (group)
# Every function of a group is evaluated on every input of that group. The report goes to the
# container's stdout, which only this process (PID 1) holds; it is one JSON document:
#   {"token": str, "groups": [{"disturbed": bool, "rows": [{"definitionError": str|null, "cells": "TF?..",
#     "abstentions": {...}}...]}...]}
# where cells has one character per input: T or F (the function returned that bool) or ? (it
# abstained), and abstentions maps the input's index to why:
#   {"t": "<type name>"} non-bool return, {"e": "<error>"} exception or death,
#   {"e": "<error>", "to": true} timeout; "x": true marks a cause that another instruction of the
#   same container may have brought about (a timeout while starved of CPU, a SIGKILL nobody here
#   sent, a full /tmp, the batch deadline, a lost worker). A group with such a cell is "disturbed":
#   the worker re-runs it in a container of its own when the container held other groups.
#
# Boundaries. The container starts this process as root with only CAP_SETUID, CAP_SETGID,
# CAP_CHOWN and CAP_KILL (no-new-privileges, read-only root, no network). This process and its
# shards run only the code in this file; they are non-dumpable, so no other uid can trace them,
# read or write their memory, or open their descriptors through /proc. Each instruction's code
# runs under a uid and gid of its own per shard (UID_BASE + g * shards + s), set in the forked
# evaluator before any of that code runs: instructions cannot signal, trace, re-limit or read
# each other's processes, and lose every capability. An evaluator reads its own instruction's
# file while still root and then drops root, so it never holds another instruction's functions
# or inputs (shards hold none); it inherits only its result pipe and its own result page, with
# 0, 1 and 2 on /dev/null. /tmp and /dev/shm are closed to evaluators; each instruction (per
# shard) has a private HOME = TMPDIR = /tmp/u<uid> (mode 0700, umask 077), emptied after it, and
# every process it left behind is killed (the shard is their subreaper; a helper with the
# instruction's uid kills them with kill(-1), which reaches no other uid).
#
# Work is spread over `workers` pre-forked shard processes, one per CPU the container may use; a
# shard runs an instruction's functions (a "unit") in a freshly forked evaluator process, each
# function in a fresh namespace in which its own helpers and imports are visible. A call that
# overruns the per-call timeout (measured by the shard's own clock from when it saw the call
# start) has its process group SIGKILLed (this also stops hangs inside C code); a call or
# definition that kills, exits or times out its process is charged to that function alone, and a
# fresh process carries on with the next input and the remaining functions. This process watches
# every shard: a shard that dies or outlives the deadline is killed and its unreported jobs are
# reported as lost (disturbed); a frame that is not exactly the next job the shard was given, in
# the shape of the batch, fails the whole container (exit 3).
#
# THE TRADE-OFF (for throughput: a fork plus the pages it copies cost ~1-2 ms, five to ten times a
# typical function's own work): functions of the SAME instruction may run one after another in the
# same process. Functions of different instructions never share a process or a uid. Between two functions
# the evaluator restores builtins and checks that the process is still pristine (Snapshot): the
# same modules loaded and the same attributes in the modules verifiers use by name (os, sys, re,
# random, json, string, math, collections, itertools, unicodedata, datetime, ...), sys.path and
# import hooks, warnings filters, environment, working directory, recursion and int-digit limits,
# no trace/profile hook, no thread, no child process, no pending alarm or timer, the same signal
# handlers, mask and resource limits, its result pipe intact, and no audit event of the kinds that
# reach outside a function's own objects (sys._getframe, gc.get_objects/get_referrers, setting
# attributes of classes, fork, kill, chdir, putenv, ctypes, sockets, subprocess, settrace, new
# audit hooks, ...). If anything differs, the process ends and the next function starts in a fresh
# one, so monkeypatching, leaked threads and the like cost only a fork. Which module attributes are
# compared depends on the names a function's code uses (Snapshot.scope): those of the modules it
# names, all of them if it uses an indirect way in (getattr, sys, __import__, eval...), and a
# function that names setattr, __dict__, __code__, __defaults__, frames, gc, inspect or ctypes never
# shares its process with the next one (NEVER_REUSE). What is NOT contained
# between functions of the same instruction: deliberate tampering that leaves no trace in those
# checks, e.g. mutating objects of modules outside the checked list, or of a checked module's
# classes or functions through means that raise no audit event. Such code can change the results
# of later functions of the same instruction in the same batch; it cannot reach other
# instructions' processes, files or results, the runner, the host or the network. `random` is
# seeded before each definition, and before every call of a function whose code names it.
import _thread
import builtins
import collections
import ctypes
import errno
import gc
import hashlib
import json
import mmap
import os
import random
import re
import resource
import select
import signal
import struct
import sys
import time

ERROR_CHARS = 300
MAX_MESSAGE = 4096

# Bound now, so a function that monkeypatches builtins or modules cannot garble its own answers.
_dumps, _pack, _write, _len = json.dumps, struct.pack, os.write, len
_type, _bool, _callable, _str = type, bool, callable, str

TIMEOUT = "timeout"
DIED = "died"


def send(fd, payload):
    _write(fd, _pack(">I", _len(payload)) + payload)


def send_json(fd, obj):
    send(fd, _dumps(obj).encode()[:MAX_MESSAGE])


def read_fd(fd, n, timeout):
    """Exactly n bytes, TIMEOUT, or DIED (pipe closed)."""
    end = time.monotonic() + timeout
    buf = b""
    while _len(buf) < n:
        # What is already there is read even after the time is up: this process may itself have
        # been descheduled past it, and leaving half a message in the pipe would garble the rest.
        left = max(0.0, end - time.monotonic())
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return TIMEOUT
        chunk = os.read(fd, n - _len(buf))
        if not chunk:
            return DIED
        buf += chunk
    return buf


def receive(fd, timeout):
    """One message from an evaluator: DONE, a dict, TIMEOUT or DIED."""
    header = read_fd(fd, 4, timeout)
    if not isinstance(header, bytes):
        return header
    (n,) = struct.unpack(">I", header)
    if n > MAX_MESSAGE:
        return DIED
    body = read_fd(fd, n, timeout)
    if not isinstance(body, bytes):
        return body
    if body in ENDINGS:
        return body
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    # The function shares the evaluator process, so it may have tampered with json or builtins.
    return message if isinstance(message, dict) else DIED


# Errors that a full /tmp, a full pids limit or memory pressure raise: in a shared container another
# instruction can cause them, so the instruction is re-run in a container of its own.
SHARED_ERRNOS = frozenset((errno.ENOSPC, errno.EAGAIN, errno.ENOMEM, errno.EDQUOT))


def describe(exc):
    try:
        text = "%s: %s" % (_type(exc).__name__, _str(exc))
    except BaseException:  # an exception whose __str__ raises
        text = _type(exc).__name__
    return text[:ERROR_CHARS]


# Evaluator -> shard channel. The evaluator's results and position go through a shared memory
# page of its own (no system call per call); details of abstentions, definition errors and "done"
# go through a pipe of its own, which also tells the shard when the evaluator dies. The evaluator
# can write both, so the shard trusts neither with anything but the evaluator's own instruction:
# it keeps the clock, the deadline and the last position it saw in its own memory, accepts a
# position only if it moves forward within the unit, and checks every message against the unit.
#   int32 [0] position: 0 not started, else 1 + k * (n + 1) + (i + 1) (i = -1 while defining k)
#   int32 [1] functions finished;  byte [CODES + k * n + i] result code of function k on input i
CODES = 8
PENDING, CODE_TRUE, CODE_FALSE, CODE_DETAIL = 0, 1, 2, 3
DONE = b"D"
STOPPED = b"S"
# The same, from a process in which an audit event of the TAINTING kinds was seen (a sign of
# tampering: the serve loop then replaces its container). Other differences the pristine check
# finds, such as a module imported lazily by a library, are ordinary and end with the process.
DONE_TAINTED = b"d"
STOPPED_TAINTED = b"s"
ENDINGS = frozenset((DONE, STOPPED, DONE_TAINTED, STOPPED_TAINTED))

# Audit events after which the evaluator's process no longer counts as pristine: reaching other
# frames or objects, patching classes, forking, changing the environment or directory, tracing,
# adding audit hooks, ctypes. Seeing one costs a fresh process for the next function, nothing more.
TAINTING = frozenset((
    "sys._getframe", "sys._current_frames", "sys._current_exceptions", "sys.settrace", "sys.setprofile",
    "sys.addaudithook", "gc.get_objects", "gc.get_referrers", "gc.get_referents", "object.__setattr__",
    "object.__delattr__", "object.__getattr__", "os.fork", "os.forkpty", "os.chdir", "os.fchdir",
    "os.putenv", "os.unsetenv", "os.kill", "os.killpg", "os.setsid", "os.setpgid", "os.posix_spawn",
    "os.exec", "os.system", "subprocess.Popen", "ctypes.dlopen", "ctypes.dlsym", "ctypes.addressof",
    "ctypes.cdata", "ctypes.string_at", "ctypes.call_function", "code.__new__", "function.__new__",
    "builtins.breakpoint", "sys.unraisablehook", "signal.pthread_kill", "resource.setrlimit", "resource.prlimit",
    "socket.__new__", "mmap.__new__"))


class Snapshot:
    """What a function can change in its process and a later function could notice; taken once in
    the shard (evaluators inherit it), compared in the evaluator after each function. Comparisons
    are C dict and list compares, which stop at identity for unchanged entries."""

    def __init__(self):
        modules = sys.modules
        self.modules = dict(modules)
        # Only the modules verifiers use by name: comparing a dict touches the reference count of
        # every value in it, and each page so touched is copied into the evaluator (checking all
        # ~80 loaded modules cost ~0.4 ms per function, these ~0.05 ms).
        self.names = [name for name, m in self.modules.items() if name in CHECKED_MODULES and _type(m) is _type(sys)]
        # Per module: its dict and the dicts of the classes written in Python that it defines
        # (setting a class attribute raises no audit event; C types cannot be changed at all).
        self.dicts = [[(self.modules[name].__dict__, dict(self.modules[name].__dict__))]
                      + [(v.__dict__, dict(v.__dict__)) for v in list(self.modules[name].__dict__.values())
                         if isinstance(v, type) and not v.__flags__ & IMMUTABLE_TYPE and getattr(v, "__module__", None) == name]
                      for name in self.names]
        self.count = len(modules)
        self.lists = [(x, list(x)) for x in (sys.path, sys.meta_path, sys.path_hooks)]
        warnings_module = modules.get("warnings")
        if warnings_module is not None:
            self.lists.append((warnings_module.filters, list(warnings_module.filters)))
        self.environ = dict(os.environ)
        self.recursion = sys.getrecursionlimit()
        self.digits = sys.get_int_max_str_digits()
        # Only signals the kernel raises by itself matter: sending one is an audited os.kill.
        self.handlers = [(n, signal.getsignal(n)) for n in SELF_RAISED if _safe_getsignal(n)]
        self.mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
        self.cwd = os.getcwd()

    def enter(self, res_fd):
        """In the evaluator, once its own limits are set: the state that differs per process."""
        self.limits = [(r, resource.getrlimit(r)) for r in (resource.RLIMIT_AS, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE,
                                                             resource.RLIMIT_CPU, resource.RLIMIT_NPROC, resource.RLIMIT_STACK)]
        self.pgrp = os.getpgrp()
        self.recursion = sys.getrecursionlimit()
        self.environ = dict(os.environ)  # HOME and TMPDIR are the instruction's own
        stat = os.fstat(res_fd)
        self.res = (res_fd, stat.st_ino, stat.st_dev)

    def scope(self, code):
        """Which module dicts a function can have changed, judged from the names its code uses
        (attribute and imported names are among them): None (all of them, and sys.modules entry
        by entry) when it uses any name that reaches objects indirectly (getattr, sys, __import__,
        eval, ...); False when its process must not be reused at all."""
        names = set()
        _code_names(code, names)
        if names & NEVER_REUSE:
            return False
        if names & REACH_ANYTHING:
            return None
        return tuple(i for i, name in enumerate(self.names) if name in names or name in ALIASES and ALIASES[name] & names)

    def pristine(self, scope):
        try:
            if scope is False or _tainted[0] or len(sys.modules) != self.count or (scope is None and sys.modules != self.modules):
                return False
            for index in (range(len(self.dicts)) if scope is None else scope):
                for live, copy in self.dicts[index]:
                    if live != copy:
                        return False
            for live, copy in self.lists:
                if live != copy:
                    return False
            if (dict(os.environ) != self.environ or sys.getrecursionlimit() != self.recursion
                    or sys.get_int_max_str_digits() != self.digits or sys.gettrace() is not None
                    or sys.getprofile() is not None or _thread_count() != 0 or os.getpgrp() != self.pgrp):
                return False
            if signal.alarm(0) != 0 or any(signal.getitimer(t) != (0.0, 0.0)
                                           for t in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)):
                return False
            if signal.pthread_sigmask(signal.SIG_BLOCK, ()) != self.mask:
                return False
            for n, handler in self.handlers:
                if signal.getsignal(n) is not handler:
                    return False
            for r, limit in self.limits:
                if resource.getrlimit(r) != limit:
                    return False
            stat = os.fstat(self.res[0])
            if (stat.st_ino, stat.st_dev) != self.res[1:] or os.getcwd() != self.cwd:
                return False
            try:
                os.waitpid(-1, os.WNOHANG)  # any child (or zombie) left behind by the function
                return False
            except ChildProcessError:
                pass
            return True
        except BaseException:  # the function broke something the check itself relies on
            return False


SELF_RAISED = tuple(getattr(signal, name) for name in (
    "SIGALRM", "SIGVTALRM", "SIGPROF", "SIGCHLD", "SIGPIPE", "SIGXFSZ", "SIGXCPU", "SIGSEGV", "SIGBUS", "SIGFPE",
    "SIGILL", "SIGSYS", "SIGTRAP", "SIGABRT", "SIGIO", "SIGURG") if hasattr(signal, name))


CHECKED_MODULES = frozenset(("builtins", "sys", "os", "posixpath", "__main__", "random", "json", "time", "functools",
                             "operator", "string", "math", "re", "collections", "itertools", "unicodedata", "datetime",
                             "textwrap", "copy", "io", "regex", "emoji", "langdetect", "nltk"))


# A function that uses any of these names can reach (and change) objects it did not name: all
# checked modules are compared after it.
REACH_ANYTHING = frozenset((
    "__import__", "import_module", "importlib", "sys", "modules", "getattr", "globals", "locals", "builtins", "eval",
    "exec", "compile", "__class__", "__module__", "types", "pickle", "marshal", "copyreg", "__reduce__",
    "__reduce_ex__", "__getattribute__", "__spec__", "__loader__", "runpy", "pkgutil", "site"))
# A function that uses any of these can change objects in ways no comparison of dicts sees (function
# defaults and code, frames, arbitrary objects' attributes): its process is never reused.
NEVER_REUSE = frozenset((
    "setattr", "delattr", "vars", "__dict__", "__builtins__", "__globals__", "__subclasses__", "__bases__", "__base__",
    "__mro__", "__setattr__", "__delattr__", "__self__", "__code__", "__closure__", "__func__", "__wrapped__",
    "__defaults__", "__kwdefaults__", "__annotations__", "gc", "inspect", "ctypes", "f_back", "f_globals", "f_locals",
    "f_builtins", "tb_frame", "gi_frame", "cr_frame", "_getframe"))
IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE
# Other names by which a checked module is reached.
ALIASES = {"posixpath": frozenset(("path", "os"))}


def _code_names(code, names):
    for name in code.co_names:
        names.update(name.split("."))
    for const in code.co_consts:
        if _type(const) is _type(code):
            _code_names(const, names)


def _safe_getsignal(n):
    try:
        signal.getsignal(n)
        return True
    except (ValueError, OSError):
        return False


_tainted = [False]
_thread_count = _thread._count


def _audit(event, args):
    if event in TAINTING:
        _tainted[0] = True



def evaluator(codes, inputs, k0, i0, shm, res_fd, seed, snapshot):
    """Runs in a forked child whose privileges are already dropped: evaluates codes[k0:] (sources,
    compiled here, under this process's limits) in order, codes[k0] from input i0 on, each
    function in a fresh namespace. After each function the process must still be pristine (see
    Snapshot) for the next one to run here; otherwise this process ends and the shard continues
    with the next function in a fresh one."""
    sys.setrecursionlimit(2000)
    snapshot.enter(res_fd)
    sys.addaudithook(_audit)
    # Resolved before any verifier code runs here, so no function can swap another's code in the cache.
    compiled = tuple(COMPILED.get(source_key(source)) for source in codes) if COMPILED else (None,) * _len(codes)
    n = _len(inputs)
    words = memoryview(shm)[:CODES].cast("i")  # aligned int stores: the shard never sees half a position
    for k in range(k0, _len(codes)):
        words[0] = 1 + k * (n + 1)
        namespace = {"__name__": "verifier", "__builtins__": builtins}
        random.seed(seed)
        code = None
        try:
            code = compiled[k]
            if code is None:
                code = compile(codes[k], "<verifier>", "exec")
            exec(code, namespace)
            evaluate = namespace.get("evaluate")
            if not _callable(evaluate):
                raise NameError("no callable evaluate(response) defined")
        except BaseException as exc:  # noqa: a definition error of any kind makes the function unusable
            send_json(res_fd, {"k": k, "d": describe(exc)})
            evaluate = None
        if evaluate is not None:
            base = CODES + k * n
            reseed = _mentions_random(code)
            for index in range(i0 if k == k0 else 0, n):
                words[0] = 2 + k * (n + 1) + index
                if reseed:
                    random.seed(seed)
                try:
                    value = evaluate(inputs[index])
                    if _type(value) is _bool:
                        shm[base + index] = CODE_TRUE if value else CODE_FALSE
                        continue
                    detail = {"k": k, "i": index, "t": _type(value).__name__}
                except BaseException as exc:  # SystemExit and KeyboardInterrupt abstain too
                    detail = {"k": k, "i": index, "e": describe(exc)}
                    if isinstance(exc, OSError) and exc.errno in SHARED_ERRNOS:
                        detail["x"] = True
                send_json(res_fd, detail)
                shm[base + index] = CODE_DETAIL
        words[1] = k + 1
        scope = ()  # a function that did not compile ran nothing: only the general checks
        try:
            if code is not None:
                scope = snapshot.scope(code)
        except BaseException:  # a pathologically nested function: just do not reuse the process
            scope = False
        del namespace, evaluate, code
        builtins.__dict__.clear()
        builtins.__dict__.update(_builtins_copy)
        if k + 1 < _len(codes) and not snapshot.pristine(scope):
            # the shard stops this process (and anything it left running)
            send(res_fd, STOPPED_TAINTED if _tainted[0] else STOPPED)
            return
    send(res_fd, DONE_TAINTED if _tainted[0] else DONE)


_builtins_copy = dict(builtins.__dict__)


def _mentions_random(code):
    """Whether a function's code names the random module (imports it or uses it by name). Such a
    function gets `random` re-seeded before every call; any other gets it seeded once before its
    definition (seeding costs ~4 us, a sixth of a typical call)."""
    for name in code.co_names:
        if "random" in name:
            return True
    for const in code.co_consts:
        if (_type(const) is _str and "random" in const) or (_type(const) is _type(code) and _mentions_random(const)):
            return True
    return False


UID_BASE = 20000
_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def drop_to(uid):
    """Irrevocably becomes the unprivileged uid (and gid) of one instruction: every capability goes."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


class Unit:
    """One instruction's functions on one shard: what the shard knows of it (no sources, no inputs)."""

    def __init__(self, path, g, functions, n, uid):
        self.path, self.g, self.functions, self.n, self.uid = path, g, functions, n, uid
        self.home = "/tmp/u%d" % uid


class Evaluator:
    """A forked child evaluating the functions of a unit from function k, input i on."""

    def __init__(self, unit, k, i, batch, snapshot):
        count, n = _len(unit.functions), unit.n
        self.shm = mmap.mmap(-1, CODES + count * n)
        self.words = memoryview(self.shm)[:CODES].cast("i")
        self.lowest = 1 + k * (n + 1)  # the first position this process may report
        self.highest = count * (n + 1)
        res_r, res_w = os.pipe()
        pid = fork()
        if pid == 0:
            try:
                os.setsid()
                os.close(res_r)
                gc.disable()
                # Still root: read this instruction's file (no other), then shed everything else.
                with open(unit.path, "rb") as f:
                    raw = f.read()
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                os.closerange(3, res_w)
                os.closerange(res_w + 1, 1 << 16)
                with open("/proc/self/oom_score_adj", "w") as f:
                    f.write("1000")  # under memory pressure the kernel kills verifiers, not the runner
                limit = batch["child_memory_mb"] * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024 * 1024, 8 * 1024 * 1024))
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
                drop_to(unit.uid)
                os.environ["HOME"] = os.environ["TMPDIR"] = unit.home
                group = json.loads(raw)
                del raw
                codes = tuple(group["functions"][f] for f in unit.functions)
                inputs = tuple(group["inputs"])
                del group
                evaluator(codes, inputs, k, i, self.shm, res_w, batch["seed"], snapshot)
            finally:
                os._exit(0)
        os.close(res_w)
        self.pid, self.res = pid, res_r
        self.forked = time.monotonic()
        self.seen, self.seen_at = 0, self.forked
        self.cpu_at = None  # (time, CPU seconds) when the call in progress was first seen still running

    def position(self):
        """The furthest position the evaluator has reported that is plausible; records when (by this
        process's clock) it first saw it."""
        p = self.words[0]
        if self.seen < p <= self.highest and p >= self.lowest:
            self.seen, self.seen_at, self.cpu_at = p, time.monotonic(), None
        return self.seen

    def still_running(self):
        """Called when a poll found the call in progress unchanged: notes the CPU time once per call
        (a /proc read only for calls that last a poll or more)."""
        if self.cpu_at is None:
            self.cpu_at = (time.monotonic(), self.cpu())

    def cpu(self):
        """CPU seconds the evaluator process has used (0 when it is gone)."""
        try:
            with open("/proc/%d/stat" % self.pid, "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLOCK_TICK
        except (OSError, IndexError, ValueError):
            return 0.0

    def starved(self):
        """Whether the call in progress got under a quarter of a CPU since it was first seen running:
        what a neighbour hogging the container's CPU does (or a call that sleeps)."""
        if self.cpu_at is None:
            return False
        since, cpu = self.cpu_at
        return self.cpu() - cpu < (time.monotonic() - since) / 4

    def finished(self):
        return self.words[1]

    def stop(self):
        """Kills the evaluator and its process group; returns its wait status (None if it was gone)."""
        if not self.pid:
            return None
        for target in (os.killpg, os.kill):
            try:
                target(self.pid, signal.SIGKILL)
            except OSError:
                pass
        status = _wait(self.pid)
        self.pid = 0
        return status

    def exited_alone(self):
        """After its pipe closed: its wait status if it exited by itself within a moment, else None."""
        for _ in range(20):
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return None
            if pid:
                self.pid = 0
                return status
            time.sleep(0.005)
        return None

    def close(self):
        self.stop()
        os.close(self.res)
        self.words.release()
        self.shm.close()


def _wait(pid):
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


DIED_CELL = "verifier process died (exit, signal or memory limit)"


def clean_up(unit, empty_size, wipe):
    """Kills whatever the unit's evaluators left running (all of it is this shard's children, the
    shard being their subreaper) and, if `wipe`, empties its private directory: both with a helper
    that has the unit's uid, so that kill(-1) and the removal reach nothing else."""
    leftovers = _has_children()
    if not leftovers and not (wipe and os.stat(unit.home).st_size != empty_size):
        return
    pid = fork()
    if pid == 0:
        try:
            drop_to(unit.uid)
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except OSError:
                    pass
            if wipe:
                for root, dirs, _ in os.walk(unit.home):  # a directory it made unreadable is still its own
                    for name in dirs:
                        _quietly(lambda path: os.chmod(path, 0o700), os.path.join(root, name))
                for root, dirs, files in os.walk(unit.home, topdown=False):
                    for name in files:
                        _quietly(os.unlink, os.path.join(root, name))
                    for name in dirs:
                        path = os.path.join(root, name)
                        _quietly(os.unlink if os.path.islink(path) else os.rmdir, path)
        finally:
            os._exit(0)
    _wait(pid)
    while True:  # everything left is dying of SIGKILL
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _has_children():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _quietly(op, path):
    try:
        op(path)
    except OSError:
        pass


def run_unit(unit, batch, deadline, snapshot):
    """Rows of the pass matrix for the functions of one instruction that this shard runs.

    The functions share fresh processes in order (a process per unit, not per function) as long as
    each leaves its process pristine; a function that times out, dies, kills its process or taints
    it costs only itself: the rest continue in a new one."""
    if not os.path.isdir(unit.home):
        os.mkdir(unit.home, 0o700)
        os.chown(unit.home, unit.uid, unit.uid)
    empty_size = os.stat(unit.home).st_size
    timeout = batch["timeout_s"]
    n, count = unit.n, _len(unit.functions)
    cells = [[None] * n for _ in range(count)]
    def_errors = {}
    disturbed = set()  # functions with a result another instruction may have caused
    tampered = set()  # functions whose process saw an audit event of the TAINTING kinds
    k, i = 0, 0  # the next function and input to evaluate

    def settle(worker, details, upto_k, partial_i):
        """Copies the answers of functions k..upto_k-1 (all inputs) and of upto_k (inputs < partial_i)."""
        for kk in range(k, min(upto_k + 1, count)):
            base = CODES + kk * n
            last = n if kk < upto_k else partial_i
            for ii in range(i if kk == k else 0, last):
                result = worker.shm[base + ii]
                if result == CODE_TRUE or result == CODE_FALSE:
                    cells[kk][ii] = result == CODE_TRUE
                elif result == CODE_DETAIL and (kk, ii) in details:
                    d = details[(kk, ii)]
                    cells[kk][ii] = {"t": _str(d["t"])[:100]} if "t" in d else {"e": _str(d.get("e"))[:ERROR_CHARS]}
                    if d.get("x") is True:
                        cells[kk][ii]["x"] = True
                else:
                    cells[kk][ii] = {"e": DIED_CELL}

    while k < count:
        if deadline - time.monotonic() <= 0:
            break
        worker = Evaluator(unit, k, i, batch, snapshot)
        details = {}
        outcome = None  # DONE, STOPPED, "died", "timeout" or "deadline"
        status = None
        tainted = False

        def take(message):
            """Records a detail or definition error of this unit at or before where the evaluator is."""
            if not isinstance(message, dict) or _type(message.get("k")) is not int:
                return False
            mk = message["k"]
            at = (worker.position() - 1) // (n + 1)
            if not k <= mk < count or mk > at:
                return False
            if "d" in message:
                def_errors.setdefault(mk, _str(message["d"])[:ERROR_CHARS])
                return True
            mi = message.get("i")
            if _type(mi) is int and 0 <= mi < n:
                details[(mk, mi)] = message
                return True
            return False

        while outcome is None:
            seen = worker.position()
            left = timeout - (time.monotonic() - worker.seen_at)
            ready, _, _ = select.select([worker.res], [], [], max(0.0, min(left, 0.05)))
            if ready:
                message = receive(worker.res, max(0.05, left))
                if _type(message) is bytes and message in ENDINGS:
                    outcome = DONE if message == DONE or message == DONE_TAINTED else STOPPED
                    tainted = message == DONE_TAINTED or message == STOPPED_TAINTED
                elif not take(message):
                    outcome = "died"
                    status = worker.exited_alone()
                continue
            now = time.monotonic()
            if worker.position() == seen:
                worker.still_running()
            if now > deadline:
                outcome = "deadline"
            elif worker.position() == seen and now - worker.seen_at > timeout:
                outcome = "timeout"
        starved = outcome == "timeout" and worker.starved()
        if outcome != DONE:
            # This process may have got further than it looked when the verdict was taken (this
            # shard can be descheduled too): read what it said before it was stopped.
            worker.stop()
            while select.select([worker.res], [], [], 0)[0] and take(receive(worker.res, 0.05)):
                pass
        at = worker.position()
        finished = worker.finished()
        if outcome == DONE and finished == count:
            settle(worker, details, count, 0)
            if tainted:
                tampered.add(count - 1)
            worker.close()
            clean_up(unit, empty_size, False)
            k = count
            break
        if outcome == STOPPED and at > 0 and finished == (at - 1) // (n + 1) + 1 and finished > k:
            # Stopped on purpose after a finished function (not pristine): nobody is charged.
            settle(worker, details, finished, 0)
            if tainted:
                tampered.add(finished - 1)
            k, i = finished, 0
        elif outcome == "deadline":
            if at:  # the call in progress and everything after it are charged to the deadline below
                sk, si = (at - 1) // (n + 1), max(0, (at - 1) % (n + 1) - 1)
                settle(worker, details, sk, si)
                k, i = sk, si
            worker.close()
            break
        else:
            # Died, timed out, or reported something inconsistent: charge the call it was in.
            # A SIGKILL nobody here sent (the kernel's OOM killer, say) or a starved timeout may
            # be another instruction's doing.
            external = starved or (status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL)
            if at == 0:
                def_errors.setdefault(k, "the verifier process did not start within %.1f s" % timeout
                                      if outcome == "timeout" else "the verifier process died before it started")
                disturbed.add(k)  # nothing of the function ran
                settle(worker, details, k, i)
                k, i = k + 1, 0
            else:
                sk, si = (at - 1) // (n + 1), (at - 1) % (n + 1) - 1
                if external:
                    disturbed.add(sk)
                if si < 0:
                    settle(worker, details, sk, 0)
                    def_errors.setdefault(sk, "defining the function did not finish within %.1f s" % timeout
                                          if outcome == "timeout" else "defining the function killed its process")
                    k, i = sk + 1, 0
                else:
                    settle(worker, details, sk, si)
                    if sk not in def_errors:
                        result = worker.shm[CODES + sk * n + si]
                        if result in (CODE_TRUE, CODE_FALSE) or (result == CODE_DETAIL and (sk, si) in details):
                            settle(worker, details, sk, si + 1)  # died after answering: keep the answer
                        elif outcome == "timeout":
                            cells[sk][si] = {"e": "timeout after %.1f s" % timeout, "to": True}
                        else:
                            cells[sk][si] = {"e": DIED_CELL}
                    k, i = (sk, si + 1) if si + 1 < n else (sk + 1, 0)
        worker.close()
        clean_up(unit, empty_size, False)
    for kk in range(k, count):  # the batch deadline passed before these were evaluated
        disturbed.add(kk)
        for ii in range(i if kk == k else 0, n):
            cells[kk][ii] = {"e": "batch deadline exceeded", "to": True, "x": True}
    clean_up(unit, empty_size, True)
    rows = []
    for kk in range(count):
        if kk in def_errors:
            row = {"definitionError": def_errors[kk], "cells": ""}
        else:
            row_cells = cells[kk]
            row = {"definitionError": None,
                   "cells": "".join("T" if c is True else "F" if c is False else "?" for c in row_cells),
                   "abstentions": {str(ii): c for ii, c in enumerate(row_cells) if not isinstance(c, bool)}}
        if kk in disturbed or any(isinstance(c, dict) and c.get("x") for c in cells[kk]):
            row["x"] = True
        if kk in tampered:
            row["tamper"] = True
        rows.append(row)
    return rows


def fork():
    """os.fork, waiting a little when the pids limit is momentarily full of a killed bomb's zombies."""
    for _ in range(100):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(0.02)
    return os.fork()


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def survey(directory):
    """The batch's settings and shape (functions and inputs per group, which functions are heavy),
    read in a throwaway child: no long-lived process of the runner ever holds a function or an
    input, so no evaluator forked from one can find another instruction's in its memory."""
    r, w = os.pipe()
    pid = fork()
    if pid == 0:
        os.close(r)
        try:
            with open(os.path.join(directory, "batch.json"), "rb") as f:
                settings = json.load(f)
            shape = []
            for g in range(int(settings["groups"])):
                with open(os.path.join(directory, "groups", "%d.json" % g), "rb") as f:
                    group = json.load(f)
                shape.append([[heavy(source) for source in group["functions"]], len(group["inputs"])])
            write_all(w, json.dumps({"settings": settings, "shape": shape}).encode())
        finally:
            os._exit(0)
    os.close(w)
    info = json.loads(read_all(r))
    os.close(r)
    os.waitpid(pid, 0)
    return info


def heavy(source):
    return HEAVY_WORD.search(source) is not None


def share(shape, kind, w, workers):
    """Shard w's share of the light or heavy jobs [(g, f)]: whole instructions round-robin when there
    are enough of them to keep every shard busy (an instruction's functions then share processes),
    single functions round-robin otherwise."""
    jobs = [(g, f) for g, (flags, _) in enumerate(shape) for f, flag in enumerate(flags) if flag == (kind == "heavy")]
    instructions = sorted({g for g, _ in jobs})
    if len(instructions) < 4 * workers:
        return jobs[w::workers]
    mine = set(instructions[w::workers])
    return [(g, f) for g, f in jobs if g in mine]


def shard(directory, s, shards, jobs, shape, settings, deadline, out_fd, uid_base):
    """A pre-forked worker: evaluates its jobs an instruction (unit) at a time, reporting each unit's
    rows at once as one frame [[g, f, row]...] in the order of `jobs`."""
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # what its evaluators leave behind stays its own
    batch = dict(settings)
    batch["child_memory_mb"] = max(64, batch["memory_mb"] // max(1, int(batch.get("workers", 1))))
    snapshot = Snapshot()
    # Every object this process holds goes to a generation the collector never scans, so evaluators
    # forked from it do not copy-on-write pages just because a collection touched them; and this
    # process makes no cyclic garbage worth collecting from here on.
    gc.freeze()
    gc.disable()
    start = 0
    while start < len(jobs):
        g = jobs[start][0]
        end = start
        while end < len(jobs) and jobs[end][0] == g:
            end += 1
        unit = Unit(os.path.join(directory, "groups", "%d.json" % g), g, [f for _, f in jobs[start:end]],
                    shape[g][1], uid_base + g * shards + s)
        rows = run_unit(unit, batch, deadline, snapshot)
        frame(out_fd, [[g, f, rows[j]] for j, (_, f) in enumerate(jobs[start:end])])
        start = end


def frame(fd, obj):
    data = json.dumps(obj).encode()
    write_all(fd, struct.pack(">I", len(data)) + data)


# Imported before any fork, so that each function's fresh process finds them loaded. Forking
# costs more the bigger the parent, so light shards are forked before the heavy third-party
# packages are imported (about 0.6 ms per fork instead of 1.9 ms), and only functions that
# mention one of those packages go to shards forked after. Only trusted library code is imported.
LIGHT_MODULES = ("re", "string", "math", "collections", "itertools", "unicodedata", "datetime")
HEAVY_MODULES = ("regex", "emoji", "langdetect", "nltk")
# An import statement naming one of them (a variable called `regex` does not count). A function
# that imports one some other way is still evaluated correctly, only slower (it imports it itself).
HEAVY_WORD = re.compile(r"^[ \t]*(?:import|from)[ \t][^\n]*\b(" + "|".join(HEAVY_MODULES) + r")\b", re.M)


def warm(modules):
    for name in modules:
        try:
            __import__(name)
        except Exception:  # an optional package missing from a user's image is fine
            pass


class Tampered(Exception):
    """A shard frame that is not exactly what that shard was asked for."""


def valid_row(row, n):
    if not isinstance(row, dict) or set(row) - {"definitionError", "cells", "abstentions", "x", "tamper"}:
        return False
    error, cells = row.get("definitionError"), row.get("cells")
    if isinstance(error, str):
        return cells == ""
    if error is not None or not isinstance(cells, str) or len(cells) != n or set(cells) - set("TF?"):
        return False
    abstentions = row.get("abstentions")
    return isinstance(abstentions, dict) and set(abstentions) == {str(i) for i, c in enumerate(cells) if c == "?"} \
        and all(isinstance(v, dict) for v in abstentions.values())


def main():
    # The report channel: stdout is kept by this process alone; every other process gets /dev/null.
    # Serving, stdin (the batches) is kept by it alone too, and read only by throwaway children.
    serving = sys.argv[1] == "--serve"
    report = os.dup(1)
    commands = os.dup(0) if serving else None
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # inherited by shards: no other uid can trace or read them
    os.umask(0o077)
    for shared in ("/tmp", "/dev/shm"):  # closed to verifiers: each instruction has its own directory
        try:
            os.chmod(shared, 0o711)
        except OSError:
            pass
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    warm(LIGHT_MODULES)
    if serving:
        serve(sys.argv[2], commands, report)
        return
    result, _ = run_batch(sys.argv[1], UID_BASE, (report,))
    del result["tampered"]  # the container is thrown away anyway
    write_all(report, json.dumps(result).encode())
    os.close(report)


def run_batch(directory, uid_base, private_fds):
    """Evaluates the batch in `directory` (see the protocol above) with uids from uid_base on;
    returns the report and how many uids it used. `private_fds` are this process's own channels,
    closed in every shard."""
    info = survey(directory)
    settings, shape = info["settings"], info["shape"]
    deadline = time.monotonic() + settings["deadline_s"]
    workers = max(1, int(settings.get("workers", 1)))
    # No more shards of a kind than it has functions (a shard costs a fork), and no heavy imports
    # at all for a batch without heavy functions (~0.3 s).
    heavy_count = sum(sum(flags) for flags, _ in shape)
    light_count = sum(len(flags) for flags, _ in shape) - heavy_count
    plan = [share(shape, "light", w, min(workers, light_count)) for w in range(min(workers, light_count))]
    heavy_plan = [share(shape, "heavy", w, min(workers, heavy_count)) for w in range(min(workers, heavy_count))]
    shards_total = len(plan) + len(heavy_plan)
    rows = {}
    shards = {}  # read end of a shard's pipe -> [pid, its jobs not yet reported, unparsed bytes, uids]

    def spawn(jobs):
        s = len(shards)
        r, w = os.pipe()
        pid = fork()
        if pid == 0:
            try:
                for fd in private_fds:
                    os.close(fd)
                for fd in shards:
                    os.close(fd)
                os.close(r)
                shard(directory, s, shards_total, jobs, shape, settings, deadline, w, uid_base)
            finally:
                os._exit(0)
        os.close(w)
        shards[r] = [pid, collections.deque(jobs), b"", {uid_base + g * shards_total + s for g, _ in jobs}]

    for jobs in plan:
        spawn(jobs)
    if heavy_plan:
        warm(HEAVY_MODULES)
        for jobs in heavy_plan:
            spawn(jobs)
    def lose(fd, why):
        """A shard that died or outlived the deadline: its unreported jobs are lost, and whatever
        its evaluators left (orphaned to this process) is killed."""
        pid, pending, _, uids = shards.pop(fd)
        os.close(fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        for uid in uids:
            helper = fork()
            if helper == 0:
                try:
                    drop_to(uid)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
        for g, f in pending:
            rows[(g, f)] = {"definitionError": why, "cells": "", "x": True}

    try:
        while shards:
            ready, _, _ = select.select(list(shards), [], [], 0.5)
            while True:  # as PID 1 this process reaps every orphan
                try:
                    if os.waitpid(-1, os.WNOHANG)[0] == 0:
                        break
                except ChildProcessError:
                    break
            for fd in ready:
                state = shards[fd]
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    if state[1]:
                        lose(fd, "lost: its sandbox worker process died")
                    else:
                        del shards[fd]
                        os.close(fd)
                    continue
                state[2] += chunk
                while len(state[2]) >= 4:
                    (size,) = struct.unpack(">I", state[2][:4])
                    if len(state[2]) < 4 + size:
                        break
                    message = json.loads(state[2][4:4 + size])
                    state[2] = state[2][4 + size:]
                    if not isinstance(message, list) or not message:
                        raise Tampered("a frame that is not a list of jobs")
                    for entry in message:
                        if not state[1] or not isinstance(entry, list) or len(entry) != 3 or (entry[0], entry[1]) != state[1][0]:
                            raise Tampered("a job the shard was not given, or out of order: %.80r" % (entry,))
                        g, f, row = entry
                        if not valid_row(row, shape[g][1]):
                            raise Tampered("a row not in the shape of the batch for job %r" % ((g, f),))
                        rows[(g, f)] = row
                        state[1].popleft()
            if time.monotonic() > deadline + 10:  # shards stop at the deadline; one that does not is stuck
                for fd in list(shards):
                    lose(fd, "batch deadline exceeded")
    except (Tampered, ValueError) as e:
        sys.stderr.write("sandbox runner: a shard sent an invalid frame: %s\n" % e)
        sys.stderr.flush()
        os._exit(3)
    groups = []
    tampered = False
    for g, (flags, _) in enumerate(shape):
        group_rows = [rows.get((g, f), {"definitionError": "lost: never evaluated", "cells": "", "x": True})
                      for f in range(len(flags))]
        tampered = any([row.pop("tamper", False) for row in group_rows]) or tampered
        groups.append({"disturbed": any(row.pop("x", False) for row in group_rows), "rows": group_rows})
    return {"token": settings["token"], "groups": groups, "tampered": tampered}, len(shape) * shards_total


# Serving (the reward service's warm containers): the container lives for many batches, each sent
# on stdin as a frame (4-byte big-endian length, then {"batch": <batch.json>, "groups": [<g>.json...]})
# and answered on stdout by one frame holding the report above plus "clean". Every batch runs exactly
# as a batch of its own container would: the same files readable by root alone (written by a
# throwaway child, so this process never holds an input), shards forked for it, uids never used
# before in this container. What carries over is only this process's cache of compiled verifier
# code (keyed by the source's sha256, bounded), which shards and evaluators inherit: verifiers
# of one service can see each other's compiled code, never each other's inputs. After each batch
# this process looks for anything the batch left behind that could reach a later one (a process,
# a System V IPC object, a file in /tmp or /dev/shm, an audit event of the TAINTING kinds)
# and says so ("clean": false): the worker then replaces the container.
COMPILED = {}
COMPILED_MAX = 4096
COMPILE_MAX_CHARS = 64 * 1024  # bigger sources are compiled by their evaluator, under its limits
_sha256 = hashlib.sha256


def source_key(source):
    return _sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def serve(directory, commands, report):
    uid_base = UID_BASE
    sequence = 0
    while True:
        batch_dir = os.path.join(directory, "%d" % sequence)
        sequence += 1
        if not receive_batch(commands, batch_dir):
            return  # stdin closed: the worker is done with this container
        compile_functions(batch_dir)
        result, uids = run_batch(batch_dir, uid_base, (report, commands))
        uid_base += uids
        remove_batch(batch_dir)
        leftover = residue()
        result["clean"] = not result.pop("tampered") and leftover is None
        if leftover is not None:
            sys.stderr.write("sandbox runner: the batch left %s behind\n" % leftover)
            sys.stderr.flush()
        data = json.dumps(result).encode()
        write_all(report, struct.pack(">I", len(data)) + data)


def receive_batch(commands, batch_dir):
    """Reads the next frame from stdin in a throwaway child, which writes it out as a batch
    directory; False when stdin is closed."""
    pid = fork()
    if pid == 0:
        status = 1
        try:
            header = read_exactly(commands, 4)
            if header is not None:
                body = read_exactly(commands, struct.unpack(">I", header)[0])
                if body is not None:
                    message = json.loads(body)
                    del body
                    os.mkdir(batch_dir, 0o700)
                    os.mkdir(os.path.join(batch_dir, "groups"), 0o700)
                    write_file(os.path.join(batch_dir, "batch.json"), message["batch"])
                    functions = set()
                    for g, group in enumerate(message["groups"]):
                        write_file(os.path.join(batch_dir, "groups", "%d.json" % g), group)
                        functions.update(group["functions"])
                    write_file(os.path.join(batch_dir, "functions.json"), sorted(functions))
                    status = 0
        finally:
            os._exit(status)
    status = _wait(pid)
    return status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def read_exactly(fd, n):
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_file(path, obj):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    write_all(fd, json.dumps(obj).encode())
    os.close(fd)


def compile_functions(batch_dir):
    """Compiles the batch's functions not yet in the cache (their sources only: no inputs). Compiling
    runs no verifier code; a source that does not compile is left to its evaluator to report."""
    with open(os.path.join(batch_dir, "functions.json"), "rb") as f:
        sources = json.load(f)
    for source in sources:
        key = source_key(source)
        if key in COMPILED or len(source) > COMPILE_MAX_CHARS:
            continue
        try:
            code = compile(source, "<verifier>", "exec")
        except BaseException:  # noqa: its evaluator compiles it again and reports the error
            continue
        if len(COMPILED) >= COMPILED_MAX:
            del COMPILED[next(iter(COMPILED))]
        COMPILED[key] = code


def remove_batch(batch_dir):
    for root, dirs, files in os.walk(batch_dir, topdown=False):
        for name in files:
            os.unlink(os.path.join(root, name))
        for name in dirs:
            os.rmdir(os.path.join(root, name))
    os.rmdir(batch_dir)


def residue():
    """What the last batch left in the container that a later batch could meet, or None."""
    for _ in range(100):  # killed processes take a moment to go
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        others = [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]
        if not others:
            break
        time.sleep(0.01)
    else:
        return "%d process(es)" % len(others)
    for kind in ("shm", "msg", "sem"):
        try:
            with open("/proc/sysvipc/" + kind) as f:
                if len(f.read().splitlines()) > 1:
                    return "a System V IPC object (%s)" % kind
        except OSError:
            pass
    for name in os.listdir("/tmp"):  # instructions' homes, emptied after each: remove them
        try:
            os.rmdir(os.path.join("/tmp", name))
        except OSError:
            return "files in /tmp/" + name
    if os.listdir("/dev/shm"):
        return "files in /dev/shm"
    return None


if __name__ == "__main__":
    main()
