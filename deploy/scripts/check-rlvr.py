#!/usr/bin/env python3
"""Load an `autoif export rlvr` directory the way each RL trainer loads it, and check what it expects.

Usage: check-rlvr.py DIR

- TRL (GRPOTrainer): datasets.load_dataset("json") of trl.jsonl; a conversational `prompt` (list of {role, content})
  and the `ground_truth` label column TRL passes to reward functions as a keyword argument.
- verl (RLHFDataset): datasets.load_dataset("parquet") of verl.parquet; data_source, prompt (messages), ability,
  reward_model {style: "rule", ground_truth}, extra_info.
- OpenRLHF (--input_key input --label_key label --apply_chat_template): `input` messages and a string `label`.
- open-instruct: `messages`, string `ground_truth` and `dataset`.
- the sidecar verifiers.jsonl: every label's verifier sha256 is there and is the sha256 of its code, and no dataset
  file carries verifier code inline.
Prints one line per file; on any mismatch prints every problem to stderr and exits 1. Needs `datasets` and
`pyarrow` (deploy/scripts/ensure-dataset-tools.sh).
"""
import hashlib
import json
import os
import sys
import tempfile

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import datasets  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()

# file -> (loader, {column: kind}); kinds: "str", "messages", or a dict of a struct's fields
FILES = {
    "trl.jsonl": ("json", {"prompt": "messages", "ground_truth": "str", "instruction_id": "str",
                           "stage2_pass_rate": "any"}),
    "verl.parquet": ("parquet", {"data_source": "str", "prompt": "messages", "ability": "str",
                                 "reward_model": {"style": "str", "ground_truth": "str"}, "extra_info": "any"}),
    "openrlhf.jsonl": ("json", {"input": "messages", "label": "str"}),
    "open_instruct.jsonl": ("json", {"messages": "messages", "ground_truth": "str", "dataset": "str"}),
}
LABEL = {"trl.jsonl": ("ground_truth",), "verl.parquet": ("reward_model", "ground_truth"),
         "openrlhf.jsonl": ("label",), "open_instruct.jsonl": ("ground_truth",)}

problems = []


def problem(msg):
    problems.append(msg)


def is_string(feature):
    return isinstance(feature, datasets.Value) and feature.dtype in ("string", "large_string")


def check_feature(name, column, feature, kind):
    if kind == "any":
        return
    if kind == "str" and not is_string(feature):
        problem(f"{name}: column '{column}' must be a string, found {feature!r}")
    elif kind == "messages":
        inner = feature.feature if type(feature).__name__ in ("List", "Sequence", "LargeList") else None
        if not isinstance(inner, dict) or set(inner) != {"role", "content"} or not all(map(is_string, inner.values())):
            problem(f"{name}: column '{column}' must be a list of {{role: str, content: str}}, found {feature!r}")
    elif isinstance(kind, dict):
        if not isinstance(feature, dict) or set(feature) != set(kind):
            problem(f"{name}: column '{column}' must be a struct of {sorted(kind)}, found {feature!r}")
        else:
            for k, sub in kind.items():
                check_feature(name, f"{column}.{k}", feature[k], sub)


def label_of(name, row):
    value = row
    for key in LABEL[name]:
        value = value[key]
    return value


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    directory = argv[1]
    sidecar = {}
    try:
        with open(os.path.join(directory, "verifiers.jsonl"), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                entry = json.loads(line)
                if hashlib.sha256(entry["code"].encode("utf-8")).hexdigest() != entry["sha256"]:
                    problem(f"verifiers.jsonl: line {n}: sha256 {entry['sha256']} is not the sha256 of its code")
                sidecar[entry["sha256"]] = entry["code"]
        print(f"verifiers.jsonl: {len(sidecar)} verifiers")
    except (OSError, ValueError, KeyError) as e:
        problem(f"verifiers.jsonl: cannot read the sidecar: {type(e).__name__}: {e}")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="autoif-check-rlvr-") as cache:
        for name, (loader, columns) in FILES.items():
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                problem(f"{name}: missing from {directory}")
                continue
            try:
                ds = datasets.load_dataset(loader, data_files=path, split="train", cache_dir=cache)
            except Exception as e:  # the trainer would fail the same way
                problem(f"{name}: datasets.load_dataset({loader!r}) failed: {type(e).__name__}: {e}")
                continue
            if set(ds.column_names) != set(columns):
                problem(f"{name}: columns {sorted(ds.column_names)}; expected {sorted(columns)}")
            for column, kind in columns.items():
                if column in ds.features:
                    check_feature(name, column, ds.features[column], kind)
            if ds.num_rows == 0:
                problem(f"{name}: no rows")
            if "def evaluate" in open(path, "rb").read().decode("utf-8", "replace"):
                problem(f"{name}: carries verifier code inline (it belongs in the sidecar)")
            rows[name] = ds.num_rows
            for i, row in enumerate(ds):
                if name == "verl.parquet" and row["reward_model"]["style"] != "rule":
                    problem(f"{name}: row {i}: reward_model.style {row['reward_model']['style']!r}, expected 'rule'")
                try:
                    shas = json.loads(label_of(name, row))["verifiers"]
                except (ValueError, KeyError, TypeError) as e:
                    problem(f"{name}: row {i}: label is not a JSON object with 'verifiers': {e}")
                    continue
                missing = [s for s in shas if s not in sidecar]
                if not shas or missing:
                    problem(f"{name}: row {i}: verifiers {missing or shas} not in the sidecar")
            print(f"{name}: {ds.num_rows} rows, columns {ds.column_names}")
        if "verl.parquet" in rows:
            schema = pq.read_schema(os.path.join(directory, "verl.parquet"))
            print(f"verl.parquet: prompt {schema.field('prompt').type}, reward_model {schema.field('reward_model').type}")
    if len(set(rows.values())) > 1:
        problem(f"row counts differ between formats: {rows}")
    if problems:
        for p in problems:
            print(f"MISMATCH {p}", file=sys.stderr)
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(f"OK: {len(rows)} RLVR files load as TRL, verl, OpenRLHF and open-instruct expect (datasets {datasets.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
