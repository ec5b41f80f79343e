# Verifier runner: executes untrusted `evaluate(response)` functions inside the sandbox container.
#
# Protocol: argv[1] names a read-only JSON file
# {"functions": [src...], "inputs": [str...], "timeout_s": float, "deadline_s": float,
#  "memory_mb": int, "seed": int}
# and stdout receives one JSON document {"rows": [...]} (see run_function()) and nothing else.
#
# Each function gets its own forked process and a fresh namespace in which its own helpers and
# imports are visible. A call that overruns the per-call timeout has its whole process group
# SIGKILLed (this also stops hangs inside C code), and a fresh process is forked for the next
# input, so nothing a function does (monkeypatching builtins, closing stdout, exiting) can
# affect another function or a later call.
import builtins
import json
import os
import random
import resource
import select
import signal
import struct
import sys
import time

ERROR_CHARS = 300
MAX_RESULT_BYTES = 4096


# Bound now, so a function that monkeypatches builtins or modules cannot garble its own answers.
_dumps, _pack, _write, _len = json.dumps, struct.pack, os.write, len
_type, _bool, _callable, _str = type, bool, callable, str


def send(fd, obj):
    data = _dumps(obj).encode()[:MAX_RESULT_BYTES]
    _write(fd, _pack(">I", _len(data)) + data)


TIMEOUT = "timeout"
DIED = "died"


def receive(fd, timeout):
    """One length-prefixed message from a worker, TIMEOUT, or DIED (pipe closed)."""
    header = read_fd(fd, 4, timeout)
    if not isinstance(header, bytes):
        return header
    (n,) = struct.unpack(">I", header)
    body = read_fd(fd, n, timeout)
    if not isinstance(body, bytes):
        return body
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    # The function shares the worker process, so it may have tampered with json or builtins.
    return message if isinstance(message, dict) else DIED


def read_fd(fd, n, timeout):
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


def describe(exc):
    try:
        text = "%s: %s" % (_type(exc).__name__, _str(exc))
    except BaseException:  # an exception whose __str__ raises
        text = _type(exc).__name__
    return text[:ERROR_CHARS]


def worker_main(source, inputs, cmd_fd, res_fd, memory_mb, seed, cpu_s):
    """Runs in the forked child: define the function, then evaluate inputs on request."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024 * 1024, 8 * 1024 * 1024))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    sys.setrecursionlimit(2000)
    namespace = {"__name__": "verifier", "__builtins__": builtins}
    try:
        exec(compile(source, "<verifier>", "exec"), namespace)
        evaluate = namespace.get("evaluate")
        if not _callable(evaluate):
            raise NameError("no callable evaluate(response) defined")
        send(res_fd, {"defined": True})
    except BaseException as exc:  # noqa: a definition error of any kind makes the function unusable
        send(res_fd, {"defined": False, "error": describe(exc)})
        os._exit(0)
    while True:
        header = read_fd(cmd_fd, 4, 3600)
        if not isinstance(header, bytes):
            os._exit(0)
        (index,) = struct.unpack(">I", header)
        random.seed(seed)
        try:
            value = evaluate(inputs[index])
            if _type(value) is _bool:
                send(res_fd, {"v": value, "t": "bool"})
            else:
                send(res_fd, {"v": None, "t": _type(value).__name__})
        except BaseException as exc:  # SystemExit and KeyboardInterrupt abstain too
            send(res_fd, {"v": None, "t": None, "e": describe(exc)})


class Worker:
    def __init__(self, source, inputs, batch):
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.setsid()
            os.close(cmd_w)
            os.close(res_r)
            try:
                worker_main(source, inputs, cmd_r, res_w, batch["memory_mb"], batch["seed"],
                            int(batch["timeout_s"]) + 2)
            finally:
                os._exit(0)
        os.close(cmd_r)
        os.close(res_w)
        self.pid, self.cmd, self.res = pid, cmd_w, res_r

    def kill(self):
        for target in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        for fd in (self.cmd, self.res):
            try:
                os.close(fd)
            except OSError:
                pass


def cell(value=None, type_name=None, error=None, timed_out=False):
    return {"value": value, "returnType": type_name, "error": error, "timedOut": timed_out}


def run_function(source, inputs, batch, deadline):
    """One row of the pass matrix."""
    timeout = batch["timeout_s"]
    worker = None
    cells = []
    for index in range(len(inputs)):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            cells.append(cell(error="batch deadline exceeded", timed_out=True))
            continue
        if worker is None:
            worker = Worker(source, inputs, batch)
            hello = receive(worker.res, min(timeout, remaining))
            if hello == TIMEOUT:
                worker.kill()
                return {"definitionError": "defining the function did not finish within %.1f s" % timeout, "cells": []}
            if hello == DIED:
                worker.kill()
                return {"definitionError": "the process died while defining the function", "cells": []}
            if not hello.get("defined"):
                worker.kill()
                return {"definitionError": hello.get("error"), "cells": []}
        try:
            os.write(worker.cmd, struct.pack(">I", index))
            answer = receive(worker.res, min(timeout, max(remaining, 0.01)))
        except OSError:
            answer = DIED
        if answer in (TIMEOUT, DIED):
            worker.kill()
            worker = None
            if answer == TIMEOUT:
                cells.append(cell(error="timeout after %.1f s" % timeout, timed_out=True))
            else:
                cells.append(cell(error="verifier process died (exit, signal or memory limit)"))
            continue
        cells.append(cell(answer.get("v"), answer.get("t"), answer.get("e")))
    if worker is not None:
        worker.kill()
    return {"definitionError": None, "cells": cells}


def main():
    out = os.fdopen(os.dup(1), "w")
    with open(sys.argv[1], "rb") as f:
        batch = json.load(f)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    deadline = time.monotonic() + batch["deadline_s"]
    rows = [run_function(src, batch["inputs"], batch, deadline) for src in batch["functions"]]
    out.write(json.dumps({"rows": rows}))
    out.flush()


if __name__ == "__main__":
    main()
