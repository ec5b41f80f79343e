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
# Isolation inside the container: each function gets its own forked process and a fresh
# namespace in which its own helpers and imports are visible. A call that overruns the per-call
# timeout has its process group SIGKILLed (this also stops hangs inside C code) and a fresh
# process carries on with the next input, so nothing a function does (monkeypatching builtins,
# closing stdout, exiting) can affect another function or a later call. Work is spread over
# `workers` pre-forked shard processes, one per CPU the container may use.
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
        left = end - time.monotonic()
        if left <= 0:
            return TIMEOUT
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
    if body == DONE:
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


# Evaluator -> shard channel: bool results, the current call's index and start time go through a
# shared memory page (no system call per call); details of abstentions, the definition outcome
# and "done" go through a pipe, which also tells the shard when the evaluator dies.
#   shm[0:8] start time of the current call, shm[8:12] its index, shm[16 + i] result code of input i
CALL_START, CALL_INDEX, CODES = 0, 8, 16
PENDING, CODE_TRUE, CODE_FALSE, CODE_DETAIL = 0, 1, 2, 3
DONE = b"D"
_pack_into = struct.pack_into


def evaluator(code, inputs, start, shm, res_fd, memory_mb, seed):
    """Runs in a forked child: define the function, then evaluate inputs[start:] in order."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024 * 1024, 8 * 1024 * 1024))
    sys.setrecursionlimit(2000)
    namespace = {"__name__": "verifier", "__builtins__": builtins}
    try:
        exec(code, namespace)
        evaluate = namespace.get("evaluate")
        if not _callable(evaluate):
            raise NameError("no callable evaluate(response) defined")
    except BaseException as exc:  # noqa: a definition error of any kind makes the function unusable
        send_json(res_fd, {"defined": False, "error": describe(exc)})
        return
    clock = time.monotonic
    for index in range(start, _len(inputs)):
        _pack_into("<di", shm, CALL_START, clock(), index)
        random.seed(seed)
        try:
            value = evaluate(inputs[index])
            if _type(value) is _bool:
                shm[CODES + index] = CODE_TRUE if value else CODE_FALSE
                continue
            detail = {"i": index, "t": _type(value).__name__}
        except BaseException as exc:  # SystemExit and KeyboardInterrupt abstain too
            detail = {"i": index, "e": describe(exc)}
        send_json(res_fd, detail)
        shm[CODES + index] = CODE_DETAIL
    send(res_fd, DONE)


class Evaluator:
    """A forked child evaluating one function from a given input on."""

    def __init__(self, code, inputs, start, batch):
        self.shm = mmap.mmap(-1, CODES + _len(inputs))
        res_r, res_w = os.pipe()
        pid = fork()
        if pid == 0:
            try:
                os.setsid()
                os.close(res_r)
                evaluator(code, inputs, start, self.shm, res_w, batch["child_memory_mb"], batch["seed"])
            finally:
                os._exit(0)
        os.close(res_w)
        self.pid, self.res = pid, res_r

    def current_call(self):
        """(start time, index) of the call in progress or last started."""
        return struct.unpack_from("<di", self.shm, CALL_START)

    def kill(self):
        """Kills the evaluator and anything it forked; the zombie is reaped later, off the hot path."""
        for target in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass
        os.close(self.res)
        self.shm.close()


def run_function(source, inputs, batch, deadline):
    """One row of the pass matrix."""
    # Compiled here, once: compiling runs none of the function's code, and a fresh process pays
    # about as much again in copied pages to compile as it does to evaluate two dozen inputs.
    try:
        code = compile(source, "<verifier>", "exec")
    except Exception as exc:  # SyntaxError, ValueError (null bytes), RecursionError, MemoryError
        return {"definitionError": describe(exc), "cells": []}
    timeout = batch["timeout_s"]
    n = _len(inputs)
    cells = [None] * n
    done = 0  # inputs before this index have a cell
    while done < n:
        if deadline - time.monotonic() <= 0:
            for i in range(done, n):
                cells[i] = {"e": "batch deadline exceeded", "to": True}
            break
        worker = Evaluator(code, inputs, done, batch)
        forked = time.monotonic()
        details = {}
        stuck = None  # (index, cell) of the call that ended this evaluator early
        while True:
            ready, _, _ = select.select([worker.res], [], [], min(timeout, 0.05))
            started, index = worker.current_call()
            defining = started == 0.0
            if ready:
                message = receive(worker.res, timeout)
                if message == DONE:
                    break
                if isinstance(message, dict) and message.get("defined") is False and defining:
                    worker.kill()
                    return {"definitionError": _str(message.get("error"))[:ERROR_CHARS], "cells": []}
                if isinstance(message, dict) and isinstance(message.get("i"), int):
                    details[message["i"]] = message
                    continue
                if defining:
                    worker.kill()
                    return {"definitionError": "defining the function killed its process", "cells": []}
                stuck = (index, {"e": "verifier process died (exit, signal or memory limit)"})
                break
            now = time.monotonic()
            if defining and now - forked > timeout:
                worker.kill()
                return {"definitionError": "defining the function did not finish within %.1f s" % timeout, "cells": []}
            if not defining and worker.shm[CODES + index] == PENDING and now - started > timeout:
                stuck = (index, {"e": "timeout after %.1f s" % timeout, "to": True})
                break
            if now > deadline:
                stuck = (max(index, done), {"e": "batch deadline exceeded", "to": True})
                break
        for i in range(done, n):
            result = worker.shm[CODES + i]
            if result == CODE_TRUE or result == CODE_FALSE:
                cells[i] = result == CODE_TRUE
            elif result == CODE_DETAIL and i in details:
                d = details[i]
                cells[i] = {"t": _str(d["t"])[:100]} if "t" in d else {"e": _str(d.get("e"))[:ERROR_CHARS]}
            else:
                break
            done = i + 1
        worker.kill()
        if stuck is not None and done < n:
            index, cell = stuck
            index = max(index, done)
            for i in range(done, index):  # answered but its detail never arrived: the process died
                cells[i] = {"e": "verifier process died (exit, signal or memory limit)"}
            cells[index] = cell
            done = index + 1
        reap_children()
    return {"definitionError": None,
            "cells": "".join("T" if c is True else "F" if c is False else "?" for c in cells),
            "abstentions": {i: c for i, c in enumerate(cells) if not isinstance(c, bool)}}


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
    """Round-robin share of the light or heavy jobs for shard w of `workers`."""
    def pick(groups):
        jobs = [(g, f) for g in range(len(groups)) for f, source in enumerate(groups[g]["functions"])
                if heavy(source) == (kind == "heavy")]
        return jobs[w::workers]
    return pick


def shard(path, pick, deadline, out_fd):
    """A pre-forked worker: announces its jobs, then evaluates them, reporting each at once."""
    subset = extract(path, pick)
    batch = subset["settings"]
    batch["child_memory_mb"] = max(64, batch["memory_mb"] // max(1, int(batch.get("workers", 1))))
    frame(out_fd, [[g, f] for g, f, _ in subset["jobs"]])
    # Every object this process holds goes to a generation the collector never scans, so evaluators
    # forked from it do not copy-on-write pages just because a collection touched them.
    gc.freeze()
    for g, f, source in subset["jobs"]:
        frame(out_fd, [g, f, run_function(source, subset["inputs"][str(g)], batch, deadline)])


def frame(fd, obj):
    data = json.dumps(obj).encode()
    write_all(fd, struct.pack(">I", len(data)) + data)


# Imported before any fork, so that each function's fresh process finds them loaded. Forking
# costs more the bigger the parent, so light shards are forked before the heavy third-party
# packages are imported (about 0.6 ms per fork instead of 1.9 ms), and only functions that
# mention one of those packages go to shards forked after. Only trusted library code is imported.
LIGHT_MODULES = ("re", "string", "math", "collections", "itertools", "unicodedata", "datetime")
HEAVY_MODULES = ("regex", "emoji", "langdetect", "nltk")
HEAVY_WORD = re.compile(r"\b(" + "|".join(HEAVY_MODULES) + r")\b")


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
    shards = {}  # read end of a shard's pipe -> [pid, its jobs not yet reported (None until announced), unparsed bytes]

    def spawn(pick):
        r, w = os.pipe()
        pid = fork()
        if pid == 0:
            os.close(r)
            try:
                shard(path, pick, deadline, w)
            finally:
                os._exit(0)
        os.close(w)
        shards[r] = [pid, None, b""]

    for w in range(workers):
        spawn(share("light", w, workers))
    warm(HEAVY_MODULES)
    for w in range(workers):
        spawn(share("heavy", w, workers))
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
                        state[1] = collections.deque(tuple(job) for job in message)
                    else:
                        g, f, row = message
                        rows[(g, f)] = row
                        state[1].popleft()  # shards report their jobs in the order they announced them
                continue
            os.close(fd)
            try:
                os.waitpid(state[0], 0)
            except ChildProcessError:  # already reaped as an orphan
                pass
            del shards[fd]
            if state[1]:
                rows[state[1][0]] = {"definitionError": "killed the sandbox's worker process", "cells": []}
                remaining = list(state[1])[1:]
                if remaining:
                    spawn(lambda groups, jobs=remaining: jobs)
    report = {"groups": [{"rows": [rows.get((g, f), {"definitionError": "lost: its shard never started", "cells": []})
                                   for f in range(count)]}
                         for g, count in enumerate(info["functions_per_group"])]}
    out.write(json.dumps(report))
    out.flush()


if __name__ == "__main__":
    main()
