# Verifier runner: executes untrusted `evaluate(response)` functions inside the sandbox container.
#
# Protocol: argv[1] names a read-only JSON file
#   {"groups": [{"functions": [src...], "inputs": [str...]}...], "timeout_s": float,
#    "deadline_s": float, "memory_mb": int, "seed": int, "workers": int}
# Every function of a group is evaluated on every input of that group. stdout receives one JSON
# document and nothing else:
#   {"groups": [{"rows": [{"definitionError": str|null, "cells": "TF?..", "abstentions": {...}}...]}...]}
# where cells has one character per input: T or F (the function returned that bool) or ? (it
# abstained), and abstentions maps the input's index to why:
#   {"t": "<type name>"} non-bool return, {"e": "<error>"} exception or death,
#   {"e": "<error>", "to": true} timeout.
#
# Isolation inside the container. Work is spread over `workers` pre-forked shard processes, one
# per CPU the container may use; a shard runs an instruction's functions (a "unit") in a freshly
# forked evaluator process, each function in a fresh namespace in which its own helpers and
# imports are visible. A call that overruns the per-call timeout has its process group SIGKILLed
# (this also stops hangs inside C code); a call or definition that kills, exits or times out its
# process is charged to that function alone, and a fresh process carries on with the next input
# and the remaining functions.
#
# THE TRADE-OFF (for throughput: a fork plus the pages it copies cost ~1-2 ms, five to ten times a
# typical function's own work): functions of the SAME instruction may run one after another in the
# same process. Functions of different instructions never share a process. Between two functions
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
# instructions' processes, the runner's other shards' results, the host or the network, which the
# container and the per-process limits still enforce. `random` is seeded before each definition,
# and before every call of a function whose code names it.
import _thread
import builtins
import collections
import gc
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
    if body == DONE or body == STOPPED:
        return body
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    # The function shares the evaluator process, so it may have tampered with json or builtins.
    return message if isinstance(message, dict) else DIED


def describe(exc):
    try:
        text = "%s: %s" % (_type(exc).__name__, _str(exc))
    except BaseException:  # an exception whose __str__ raises
        text = _type(exc).__name__
    return text[:ERROR_CHARS]


# Evaluator -> shard channel: bool results, the current call and the progress go through a shared
# memory page (no system call per call); details of abstentions, definition errors and "done" go
# through a pipe, which also tells the shard when the evaluator dies.
#   shm[0:8] start time of the current call or definition, shm[8:12] its function k (position in
#   the unit), shm[12:16] its input i (-1 while defining k), shm[16:20] functions finished,
#   shm[32 + k * n + i] result code of function k on input i
CALL, FINISHED, CODES = 0, 16, 32
PENDING, CODE_TRUE, CODE_FALSE, CODE_DETAIL = 0, 1, 2, 3
DONE = b"D"
STOPPED = b"S"
_pack_into = struct.pack_into

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


def evaluator(codes, inputs, k0, i0, shm, res_fd, memory_mb, seed, region, jobs, snapshot, scopes):
    """Runs in a forked child: evaluates codes[k0:] in order, codes[k0] from input i0 on, each
    function in a fresh namespace. After each function the process must still be pristine
    (see Snapshot) for the next one to run here; otherwise this process ends and the shard
    continues with the next function in a fresh one."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024 * 1024, 8 * 1024 * 1024))
    sys.setrecursionlimit(2000)
    snapshot.enter(res_fd)
    sys.addaudithook(_audit)
    clock = time.monotonic
    n = _len(inputs)
    for k in range(k0, _len(codes)):
        _pack_into("<dii", shm, CALL, clock(), k, -1)
        region[0:4] = _pack("<i", jobs[k])
        namespace = {"__name__": "verifier", "__builtins__": builtins}
        random.seed(seed)
        try:
            exec(codes[k], namespace)
            evaluate = namespace.get("evaluate")
            if not _callable(evaluate):
                raise NameError("no callable evaluate(response) defined")
        except BaseException as exc:  # noqa: a definition error of any kind makes the function unusable
            send_json(res_fd, {"k": k, "d": describe(exc)})
            evaluate = None
        if evaluate is not None:
            base = CODES + k * n
            reseed = _mentions_random(codes[k])
            for index in range(i0 if k == k0 else 0, n):
                _pack_into("<dii", shm, CALL, clock(), k, index)
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
                send_json(res_fd, detail)
                shm[base + index] = CODE_DETAIL
        del namespace, evaluate
        _pack_into("<i", shm, FINISHED, k + 1)
        builtins.__dict__.clear()
        builtins.__dict__.update(_builtins_copy)
        if k + 1 < _len(codes) and not snapshot.pristine(scopes[k]):
            send(res_fd, STOPPED)  # the shard stops this process (and anything it left running)
            return
    send(res_fd, DONE)


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


class Evaluator:
    """A forked child evaluating the functions of a unit from function k, input i on."""

    def __init__(self, codes, inputs, k, i, batch, region, jobs, snapshot, scopes):
        self.shm = mmap.mmap(-1, CODES + _len(codes) * _len(inputs))
        res_r, res_w = os.pipe()
        pid = fork()
        if pid == 0:
            try:
                os.setsid()
                os.close(res_r)
                gc.disable()
                evaluator(codes, inputs, k, i, self.shm, res_w, batch["child_memory_mb"], batch["seed"], region, jobs, snapshot, scopes)
            finally:
                os._exit(0)
        os.close(res_w)
        region[4:8] = _pack("<i", pid)
        self.pid, self.res = pid, res_r

    def current_call(self):
        """(start time, function, input or -1 while defining) of the call in progress or last started."""
        return struct.unpack_from("<dii", self.shm, CALL)

    def finished(self):
        return struct.unpack_from("<i", self.shm, FINISHED)[0]

    def stop(self):
        """Kills the evaluator and anything it forked; the zombie is reaped later, off the hot path."""
        if self.pid:
            for target in (os.killpg, os.kill):
                try:
                    target(self.pid, signal.SIGKILL)
                except OSError:
                    pass
            self.pid = 0

    def kill(self):
        self.stop()
        os.close(self.res)
        self.shm.close()


DIED_CELL = "verifier process died (exit, signal or memory limit)"


def run_unit(unit, inputs, batch, deadline, region, snapshot):
    """Rows of the pass matrix for the functions of one instruction that this shard runs.

    unit: [(job index, source)]. The functions share fresh processes in order (a process per
    unit, not per function) as long as each leaves its process pristine; a function that times
    out, dies, kills its process or taints it costs only itself: the rest continue in a new one."""
    rows = [None] * _len(unit)
    codes, jobs, where = [], [], []
    for u, (job, source) in enumerate(unit):
        # Compiled here, once: compiling runs none of the function's code.
        try:
            codes.append(compile(source, "<verifier>", "exec"))
            jobs.append(job)
            where.append(u)
        except Exception as exc:  # SyntaxError, ValueError (null bytes), RecursionError, MemoryError
            rows[u] = {"definitionError": describe(exc), "cells": []}
    scopes = tuple(snapshot.scope(code) for code in codes)
    codes, jobs, inputs = tuple(codes), tuple(jobs), tuple(inputs)  # nothing an evaluator could change for the next
    timeout = batch["timeout_s"]
    n, count = _len(inputs), _len(codes)
    cells = [[None] * n for _ in range(count)]
    def_errors = {}
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
                else:
                    cells[kk][ii] = {"e": DIED_CELL}

    while k < count:
        if deadline - time.monotonic() <= 0:
            for kk in range(k, count):
                for ii in range(i if kk == k else 0, n):
                    cells[kk][ii] = {"e": "batch deadline exceeded", "to": True}
            break
        worker = Evaluator(codes, inputs, k, i, batch, region, jobs, snapshot, scopes)
        forked = time.monotonic()
        details = {}
        stuck = None  # (function, input or -1, cell) of the call that ended this evaluator early
        done = False
        def take(message):
            """Records a detail or definition error; False for anything else."""
            if isinstance(message, dict) and isinstance(message.get("k"), int):
                if "d" in message and message["k"] <= worker.current_call()[1]:  # not ahead of where it is
                    def_errors.setdefault(message["k"], _str(message["d"])[:ERROR_CHARS])
                elif isinstance(message.get("i"), int):
                    details[(message["k"], message["i"])] = message
                return True
            return False

        while True:
            ready, _, _ = select.select([worker.res], [], [], min(timeout, 0.05))
            started, ck, ci = worker.current_call()
            if ready:
                message = receive(worker.res, timeout)
                if message == DONE:
                    done = True
                    break
                if message == STOPPED:  # not pristine after a finished function: nobody to charge
                    stuck = STOPPED
                    break
                if take(message):
                    continue
                worker.stop()  # it may only have closed the pipe; read where it was once it cannot move on
                started, ck, ci = worker.current_call()
                stuck = (ck, ci, {"e": DIED_CELL})
                break
            now = time.monotonic()
            if started == 0.0:  # not started yet: the fork itself is slow
                if now - forked > timeout:
                    stuck = (k, -1, {"e": "the verifier process did not start within %.1f s" % timeout})
                    break
                continue
            if ci < 0 and now - started > timeout:
                stuck = (ck, -1, {"e": "defining the function did not finish within %.1f s" % timeout, "to": True})
                break
            if not (0 <= ck < count and ci < n):  # the shared page was overwritten: trust nothing in it
                stuck = (k, -1, {"e": DIED_CELL})
                break
            if ci >= 0 and worker.shm[CODES + ck * n + ci] == PENDING and now - started > timeout:
                stuck = (ck, ci, {"e": "timeout after %.1f s" % timeout, "to": True})
                break
            if now > deadline:
                stuck = (ck, max(ci, 0), {"e": "batch deadline exceeded", "to": True})
                break
        worker.stop()
        if not done:
            # This process may have got further than it looked when the verdict was taken (this
            # shard can be descheduled too): read what it said before it was stopped.
            while select.select([worker.res], [], [], 0)[0] and take(receive(worker.res, 0.05)):
                pass
        finished = worker.finished()
        if done:
            settle(worker, details, count, 0)
            worker.kill()
            break
        if stuck == STOPPED:
            stuck = (-1, -1, None)
        sk, si, cell = stuck
        if sk == -1 and cell is None:
            if finished <= k:  # claimed so without finishing anything: count it as a death
                sk, si, cell = k, -1, {"e": DIED_CELL}
            # else stopped on purpose after a finished function: continue after it
        elif not (0 <= sk < count and si < n):
            sk, si = k, -1
        if sk < finished or sk < k:
            # Ended after its function finished (it left the process tainted) or before the first
            # call: nobody is charged, the next function starts in a fresh process.
            settle(worker, details, finished, 0)
            k, i = finished, 0
        elif si < 0:
            settle(worker, details, sk, 0)
            if sk not in def_errors:
                def_errors[sk] = cell["e"] if "to" in cell else "defining the function killed its process"
            k, i = sk + 1, 0
        else:
            settle(worker, details, sk, si)
            if sk in def_errors:  # a definition error was reported, then the process died
                k, i = sk + 1, 0
            else:
                result = worker.shm[CODES + sk * n + si]
                if result in (CODE_TRUE, CODE_FALSE) or (result == CODE_DETAIL and (sk, si) in details):
                    settle(worker, details, sk, si + 1)  # died after answering: keep the answer
                else:
                    cells[sk][si] = cell
                k, i = (sk, si + 1) if si + 1 < n else (sk + 1, 0)
        worker.kill()
        reap_children()
    reap_children()
    for kk in range(count):
        if kk in def_errors:
            rows[where[kk]] = {"definitionError": def_errors[kk], "cells": []}
            continue
        row_cells = cells[kk]
        rows[where[kk]] = {"definitionError": None,
                           "cells": "".join("T" if c is True else "F" if c is False else "?" for c in row_cells),
                           "abstentions": {ii: c for ii, c in enumerate(row_cells) if not isinstance(c, bool)}}
    return rows


def fork():
    """os.fork, waiting a little when the pids limit is momentarily full of a killed bomb's zombies."""
    for _ in range(100):
        try:
            return os.fork()
        except BlockingIOError:
            reap_children()
            time.sleep(0.02)
    return os.fork()


def reap_children():
    """Reaps finished or killed evaluators without waiting, so zombies do not use up the pids limit."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


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


def extract(path, pick):
    """Parses the batch in a throwaway child and returns only the jobs `pick` chooses, with their
    inputs and the batch settings: the caller never holds the whole batch, which matters because
    every fork copies the parent's page tables (a big parent makes every evaluator slower)."""
    r, w = os.pipe()
    pid = fork()
    if pid == 0:
        os.close(r)
        try:
            with open(path, "rb") as f:
                batch = json.load(f)
            groups = batch.pop("groups")
            jobs = pick(groups)
            subset = {"settings": batch, "functions_per_group": [len(g["functions"]) for g in groups],
                      "heavy": sum(1 for g in groups for source in g["functions"] if heavy(source)),
                      "jobs": [[g, f, groups[g]["functions"][f]] for g, f in jobs],
                      "inputs": {str(g): groups[g]["inputs"] for g in {g for g, _ in jobs}}}
            write_all(w, json.dumps(subset).encode())
        finally:
            os._exit(0)
    os.close(w)
    subset = json.loads(read_all(r))
    os.close(r)
    os.waitpid(pid, 0)
    return subset


def heavy(source):
    return HEAVY_WORD.search(source) is not None


def share(kind, w, workers):
    """Shard w's share of the light or heavy jobs: whole instructions round-robin when there are
    enough of them to keep every shard busy (an instruction's functions then share processes),
    single functions round-robin otherwise."""
    def pick(groups):
        jobs = [(g, f) for g in range(len(groups)) for f, source in enumerate(groups[g]["functions"])
                if heavy(source) == (kind == "heavy")]
        instructions = sorted({g for g, _ in jobs})
        if len(instructions) < 4 * workers:
            return jobs[w::workers]
        mine = set(instructions[w::workers])
        return [(g, f) for g, f in jobs if g in mine]
    return pick


def shard(path, pick, deadline, out_fd, region):
    """A pre-forked worker: announces its jobs, then evaluates them an instruction (unit) at a
    time, reporting each unit's rows at once. `region` (shared with the main process) holds the
    index of the job whose function runs now and the evaluator's pid, so that if a function kills
    this shard, exactly that function is charged and its evaluator is stopped."""
    subset = extract(path, pick)
    batch = subset["settings"]
    batch["child_memory_mb"] = max(64, batch["memory_mb"] // max(1, int(batch.get("workers", 1))))
    frame(out_fd, [[g, f] for g, f, _ in subset["jobs"]])
    snapshot = Snapshot()
    # Every object this process holds goes to a generation the collector never scans, so evaluators
    # forked from it do not copy-on-write pages just because a collection touched them; and this
    # process makes no cyclic garbage worth collecting from here on.
    gc.freeze()
    gc.disable()
    jobs = subset["jobs"]
    start = 0
    while start < len(jobs):
        g = jobs[start][0]
        end = start
        while end < len(jobs) and jobs[end][0] == g:
            end += 1
        rows = run_unit([(j, jobs[j][2]) for j in range(start, end)], subset["inputs"][str(g)], batch, deadline, region, snapshot)
        frame(out_fd, [[jobs[j][0], jobs[j][1], rows[j - start]] for j in range(start, end)])
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


def main():
    out = os.fdopen(os.dup(1), "w")
    path = sys.argv[1]
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    warm(LIGHT_MODULES)
    info = extract(path, lambda groups: [])
    deadline = time.monotonic() + info["settings"]["deadline_s"]
    workers = max(1, int(info["settings"].get("workers", 1)))
    rows = {}
    # read end of a shard's pipe -> [pid, its jobs not yet reported (None until announced), unparsed
    # bytes, its region, all its jobs in announced order]
    shards = {}

    def spawn(pick):
        region = mmap.mmap(-1, 8)
        region[0:8] = struct.pack("<ii", -1, 0)
        r, w = os.pipe()
        pid = fork()
        if pid == 0:
            os.close(r)
            try:
                shard(path, pick, deadline, w, region)
            finally:
                os._exit(0)
        os.close(w)
        shards[r] = [pid, None, b"", region, None]

    # No more shards of a kind than it has functions (a shard costs a fork and a parse of the
    # batch), and no heavy imports at all for a batch without heavy functions (~0.3 s).
    heavy_count = info["heavy"]
    light_count = sum(info["functions_per_group"]) - heavy_count
    for w in range(min(workers, light_count)):
        spawn(share("light", w, min(workers, light_count)))
    if heavy_count:
        warm(HEAVY_MODULES)
        for w in range(min(workers, heavy_count)):
            spawn(share("heavy", w, min(workers, heavy_count)))
    # Read all shards at once so none blocks on a full pipe. A shard can be killed by the function
    # it runs (same uid; only PID 1, this process, is immune): that function is charged with it and
    # a new shard takes over the rest.
    while shards:
        ready, _, _ = select.select(list(shards), [], [], 0.5)
        reap_children()  # as PID 1 this process also inherits every orphan
        for fd in ready:
            state = shards[fd]
            chunk = os.read(fd, 1 << 20)
            if chunk:
                state[2] += chunk
                while len(state[2]) >= 4:
                    (n,) = struct.unpack(">I", state[2][:4])
                    if len(state[2]) < 4 + n:
                        break
                    message = json.loads(state[2][4:4 + n])
                    state[2] = state[2][4 + n:]
                    if state[1] is None:
                        state[4] = [tuple(job) for job in message]
                        state[1] = collections.deque(state[4])
                    else:
                        for g, f, row in message:
                            rows[(g, f)] = row
                            state[1].popleft()  # shards report their jobs in the order they announced them
                continue
            os.close(fd)
            try:
                os.waitpid(state[0], 0)
            except ChildProcessError:  # already reaped as an orphan
                pass
            del shards[fd]
            evaluator_pid = struct.unpack("<i", state[3][4:8])[0]
            if evaluator_pid > 0:  # orphaned by its shard: stop it first, it has no one to report to
                for target in (os.killpg, os.kill):
                    try:
                        target(evaluator_pid, signal.SIGKILL)
                    except OSError:
                        pass
            current = struct.unpack("<i", state[3][0:4])[0]
            state[3].close()
            if state[1]:
                culprit = state[4][current] if 0 <= current < len(state[4]) else None
                if culprit not in state[1]:
                    culprit = state[1][0]
                rows[culprit] = {"definitionError": "killed the sandbox's worker process", "cells": []}
                remaining = [job for job in state[1] if job != culprit]
                if remaining:
                    spawn(lambda groups, jobs=remaining: jobs)
    report = {"groups": [{"rows": [rows.get((g, f), {"definitionError": "lost: its shard never started", "cells": []})
                                   for f in range(count)]}
                         for g, count in enumerate(info["functions_per_group"])]}
    out.write(json.dumps(report))
    out.flush()


if __name__ == "__main__":
    main()
