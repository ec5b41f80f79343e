# Benchmark baseline: what the reference implementation does — exec each verifier in this very
# process (a fresh dict per function, no isolation) and call it on every input, with a per-call
# SIGALRM timeout. argv[1] is the same batch file the sandbox runner reads.
import json
import signal
import sys
import time


class CallTimeout(Exception):
    pass


def on_alarm(*_):
    raise CallTimeout()


def main():
    with open(sys.argv[1]) as f:
        batch = json.load(f)
    timeout = batch["timeout_s"]
    signal.signal(signal.SIGALRM, on_alarm)
    evaluations = 0
    slow = set()
    start = time.perf_counter()
    for group in batch["groups"]:
        for source in group["functions"]:
            namespace = {}
            try:
                exec(source, namespace)
                evaluate = namespace["evaluate"]
            except BaseException:
                continue
            for response in group["inputs"]:
                signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    evaluate(response)
                except CallTimeout:
                    slow.add(source)
                except BaseException:
                    pass
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                evaluations += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({"evaluations": evaluations, "seconds": elapsed, "slow": sorted(slow)}))


main()
