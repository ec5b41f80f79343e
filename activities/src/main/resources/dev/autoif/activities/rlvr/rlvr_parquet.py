"""verl's parquet from the export's verl.jsonl rows: python - IN.jsonl OUT.parquet (stdin is this script).

verl reads its train/val files with datasets.load_dataset("parquet"); pyarrow infers the nested columns
(prompt: list<struct<role, content>>, reward_model: struct<style, ground_truth>, extra_info: struct) from the rows.
"""
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq

src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    rows = [json.loads(line) for line in f if line.strip()]
pq.write_table(pa.Table.from_pylist(rows), dst)
print(f"{len(rows)} rows -> {dst}")
