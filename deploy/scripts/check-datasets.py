#!/usr/bin/env python3
"""Load an AutoIF export directory as LLaMA-Factory and TRL load it, and check what they expect.

Usage: check-datasets.py DIR

Every dataset is a directory of parts (sft_messages/part-00000.jsonl, ...). Each is read with
datasets.load_dataset("json", data_files="NAME/*.EXT") (what TRL users do; LLaMA-Factory loads every
file of the directory its dataset_info.json file_name names), then its columns and types are
compared with the format's, and every dataset_info.json entry must name an existing directory (or
file) whose columns (and, for sharegpt, message keys and roles) match the entry. Prints one line per file; on any mismatch
prints every problem to stderr and exits 1. Needs the `datasets` package
(deploy/scripts/ensure-dataset-tools.sh installs it).
"""
import glob
import json
import os
import sys
import tempfile

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

import datasets  # noqa: E402

datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()

STR = "string"
# file -> {column: expected type}; "list" is a list of anything, ("messages", role, content) a list
# of {role, content} string structs.
FILES = {
    "sft_alpaca/*.json": {"instruction": STR, "input": STR, "output": STR, "history": "list"},
    "sft_messages/*.jsonl": {"messages": ("messages", "role", "content")},
    "sft_sharegpt/*.jsonl": {"conversations": ("messages", "from", "value")},
    "dpo_trl/*.jsonl": {"prompt": STR, "chosen": STR, "rejected": STR},
    "dpo_llamafactory/*.json": {"instruction": STR, "input": STR, "chosen": STR, "rejected": STR},
}
# the message roles each chat dataset must use, in turn order
ROLES = {"sft_messages/*.jsonl": ("user", "assistant"), "sft_sharegpt/*.jsonl": ("human", "gpt")}

problems = []


def problem(msg):
    problems.append(msg)


def list_inner(feature):
    """The element feature of a list feature (datasets List/Sequence/LargeList or a python list), else None."""
    if isinstance(feature, list):
        return feature[0] if feature else None
    if type(feature).__name__ in ("List", "Sequence", "LargeList"):
        return feature.feature
    return None


def is_string(feature):
    return isinstance(feature, datasets.Value) and feature.dtype in ("string", "large_string")


def describe(feature):
    return repr(feature).replace("\n", " ")


def load(directory, pattern, cache):
    try:
        return datasets.load_dataset("json", data_files=os.path.join(directory, pattern), split="train",
                                     cache_dir=cache)
    except Exception as e:  # the tools would fail the same way
        problem(f"{pattern}: datasets.load_dataset('json') failed: {type(e).__name__}: {e}")
        return None


def llamafactory_files(directory, file_name):
    """What LLaMA-Factory loads for a local file_name: every file of a directory, or the file."""
    path = os.path.join(directory, file_name)
    if os.path.isdir(path):
        return [os.path.join(file_name, f) for f in sorted(os.listdir(path))]
    return [file_name] if os.path.isfile(path) else []


def check_messages(name, ds, column, role_key, content_key, roles):
    inner = list_inner(ds.features[column])
    if not isinstance(inner, dict) or set(inner) != {role_key, content_key} \
            or not all(is_string(inner[k]) for k in (role_key, content_key)):
        problem(f"{name}: column '{column}' must be a list of {{{role_key}: str, {content_key}: str}}, "
                f"found {describe(ds.features[column])}")
        return
    for i, turns in enumerate(ds[column]):
        if roles is not None:
            got = tuple(t[role_key] for t in turns)
            want = tuple(roles[j % 2] for j in range(len(got)))
            if not got or got != want or len(got) % 2:
                problem(f"{name}: row {i}: roles {list(got)}, expected alternating {list(roles)} ending with "
                        f"'{roles[1]}'")
        for t in turns:
            if not isinstance(t[content_key], str):
                problem(f"{name}: row {i}: a turn's '{content_key}' is {t[content_key]!r}, not a string")


def check_file(name, ds):
    expected = FILES[name]
    got = set(ds.column_names)
    if got != set(expected):
        missing = sorted(set(expected) - got)
        extra = sorted(got - set(expected))
        problem(f"{name}: columns {sorted(got)}; expected {sorted(expected)}"
                + (f" (missing {missing})" if missing else "") + (f" (unexpected {extra})" if extra else ""))
    for column, kind in expected.items():
        if column not in got:
            continue
        feature = ds.features[column]
        if kind == STR and not is_string(feature):
            problem(f"{name}: column '{column}' must be a string, found {describe(feature)}")
        elif kind == "list" and list_inner(feature) is None and not isinstance(feature, list):
            problem(f"{name}: column '{column}' must be a list, found {describe(feature)}")
        elif isinstance(kind, tuple):
            check_messages(name, ds, column, kind[1], kind[2], ROLES.get(name))
    if ds.num_rows == 0:
        problem(f"{name}: no rows")


def check_info(directory, cache):
    path = os.path.join(directory, "dataset_info.json")
    try:
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError) as e:
        problem(f"dataset_info.json: cannot read: {e}")
        return
    if not isinstance(info, dict) or not info:
        problem("dataset_info.json: must be a non-empty object of dataset entries")
        return
    for entry_name, entry in info.items():
        where = f"dataset_info.json[{entry_name!r}]"
        file_name = entry.get("file_name")
        files = llamafactory_files(directory, file_name) if file_name else []
        if not files:
            problem(f"{where}: file_name {file_name!r} does not exist in {directory}")
            continue
        try:
            ds = datasets.load_dataset("json", data_files=[os.path.join(directory, f) for f in files],
                                       split="train", cache_dir=cache)
        except Exception as e:  # LLaMA-Factory would fail the same way
            problem(f"{where}: loading {file_name!r} failed: {type(e).__name__}: {e}")
            continue
        columns = entry.get("columns", {})
        formatting = entry.get("formatting", "alpaca")
        for role, column in columns.items():
            if column not in ds.column_names:
                problem(f"{where}: columns.{role} = {column!r}, but {file_name} has columns {ds.column_names}")
        if entry.get("ranking") and not {"chosen", "rejected"} <= set(columns):
            problem(f"{where}: ranking is true but columns name no 'chosen'/'rejected'")
        if formatting == "alpaca":
            prompt = columns.get("prompt", "instruction")
            if prompt not in ds.column_names:
                problem(f"{where}: alpaca prompt column {prompt!r} missing from {file_name}")
            if not entry.get("ranking") and columns.get("response", "output") not in ds.column_names:
                problem(f"{where}: alpaca response column {columns.get('response', 'output')!r} missing")
        elif formatting == "sharegpt":
            tags = entry.get("tags", {})
            messages = columns.get("messages", "conversations")
            if messages in ds.column_names:
                role_tag, content_tag = tags.get("role_tag", "from"), tags.get("content_tag", "value")
                roles = (tags.get("user_tag", "human"), tags.get("assistant_tag", "gpt"))
                check_messages(f"{where} ({file_name})", ds, messages, role_tag, content_tag, roles)
        else:
            problem(f"{where}: unknown formatting {formatting!r} (LLaMA-Factory knows alpaca, sharegpt)")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    directory = argv[1]
    loaded = {}
    with tempfile.TemporaryDirectory(prefix="autoif-check-") as cache:
        for name in FILES:
            if not glob.glob(os.path.join(directory, name)):
                problem(f"{name}: missing from {directory}")
                continue
            ds = load(directory, name, cache)
            if ds is None:
                continue
            loaded[name] = ds
            check_file(name, ds)
            print(f"{name}: {ds.num_rows} rows, columns {ds.column_names}")
        check_info(directory, cache)
    if problems:
        for p in problems:
            print(f"MISMATCH {p}", file=sys.stderr)
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(f"OK: {len(loaded)} datasets and dataset_info.json load as LLaMA-Factory and TRL expect "
          f"(datasets {datasets.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
