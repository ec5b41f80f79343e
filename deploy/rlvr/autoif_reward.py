"""Rewards for RL trainers from a running `autoif reward-server` (standard library only).

TRL (GRPOTrainer(reward_funcs=[autoif_reward], ...)) on an `autoif export rlvr` trl.jsonl: TRL passes the dataset's
`ground_truth` column as a keyword argument. verl: `custom_reward_function.path=deploy/rlvr/autoif_reward.py
custom_reward_function.name=compute_score` (or `compute_score_batch` with the batch reward manager).

AUTOIF_REWARD_URL (default http://127.0.0.1:8090) names the service; AUTOIF_REWARD_AGGREGATION (mean|all|majority)
and AUTOIF_REWARD_STRIP_REASONING (1/0, default 1) are sent with every request. A 429 is retried after its
Retry-After; an item the service could not score is None for TRL (it ignores it) and 0.0 for verl.
"""
import json
import os
import time
import urllib.error
import urllib.request

URL = os.environ.get("AUTOIF_REWARD_URL", "http://127.0.0.1:8090")
AGGREGATION = os.environ.get("AUTOIF_REWARD_AGGREGATION", "mean")
STRIP = os.environ.get("AUTOIF_REWARD_STRIP_REASONING", "1") != "0"
TIMEOUT = float(os.environ.get("AUTOIF_REWARD_TIMEOUT", "300"))


def score(responses, labels, aggregation=AGGREGATION, strip_reasoning=STRIP):
    """The service's results for (response, label) pairs: dicts with reward, verdicts, timed_out, error."""
    body = json.dumps({"items": [{"response": r, "label": l} for r, l in zip(responses, labels)],
                       "aggregation": aggregation, "strip_reasoning": strip_reasoning}).encode("utf-8")
    for attempt in range(30):
        request = urllib.request.Request(URL.rstrip("/") + "/v1/score", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return json.load(answer)["results"]
        except urllib.error.HTTPError as e:
            if e.code not in (429, 503):
                raise
            time.sleep(float(e.headers.get("Retry-After", "1")))
    raise RuntimeError(f"reward service at {URL} stayed full")


def _text(completion):
    """A TRL completion: a string, or (conversational) a list of messages whose last is the assistant's."""
    if isinstance(completion, str):
        return completion
    return completion[-1]["content"] if completion else ""


def autoif_reward(prompts, completions, ground_truth=None, **columns):
    """TRL reward function: one float (or None when the item could not be scored) per completion."""
    results = score([_text(c) for c in completions], ground_truth)
    return [r["reward"] for r in results]


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kw):
    """verl's per-sample reward function."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info])[0]


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, **kw):
    """verl's batched reward function: one service call for the whole batch."""
    return [r["reward"] if r["reward"] is not None else 0.0 for r in score(solution_strs, ground_truths)]
