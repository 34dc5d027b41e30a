"""Convert the Kinetics AIME24 ``*_tradeoff.csv`` files into two compact tables.

Usage: python convert.py SOURCE_DIR   (the folder holding dense/, topk/, block_topk/)

Writes next to this script:
- ``aime24_samples.csv``: one row per (configuration, query): the model, attention
  settings, ground-truth answer, number of recorded samples n, number correct c
  (= coverage at trial 1 times n, integral in every file) and the n generation lengths
  (space separated, tokens).
- ``aime24_costs.csv``: the original per-(configuration, query, trial) expected
  ``compute_cost`` and ``memory_cost`` (units of 1e12 FLOPs / eFLOPs), kept to check
  ttsim's cost model against the paper's own numbers.
The problem statements are dropped; nothing else is changed.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

NAME = re.compile(
    r"aime24_qwen3-(?P<size>[\d-]+b)_(?:(?P<dense>dense)|local(?P<local>\d+)_(?:topk(?P<topk>\d+)(?P<rep>_1)?"
    r"|block(?P<block>\d+)_blocktopk(?P<btopk>\d+)))(?:_numTrials)?_tradeoff\.csv"
)


def main(src: str) -> None:
    here = Path(__file__).resolve().parent
    files = sorted(Path(src).glob("*/*.csv"))
    if not files:
        raise SystemExit(f"no CSV files under {src}")
    samples, costs = [], []
    for f in files:
        m = NAME.fullmatch(f.name)
        if m is None:
            raise SystemExit(f"unexpected file name {f.name}")
        size = m["size"].replace("-", ".").upper()
        model = f"qwen3-{size.lower()}"
        if m["dense"]:
            attention, local, budget, block = "dense", 0, 0, 0
        elif m["topk"]:
            attention, local, budget, block = "topk", int(m["local"]), int(m["topk"]), 0
        else:
            attention, local, block = "block_topk", int(m["local"]), int(m["block"])
            budget = int(m["block"]) * int(m["btopk"])
        config = f.name.removeprefix("aime24_").removesuffix("_tradeoff.csv").removesuffix("_numTrials")
        seen = set()
        with open(f, newline="") as fh:
            for row in csv.DictReader(fh):
                q = int(row["query_id"])
                lengths = json.loads(row["generation_length"])
                n = len(lengths)
                trial = int(row["trial"])
                if q not in seen:
                    if trial != 1:
                        raise SystemExit(f"{f.name}: first row of query {q} is not trial 1")
                    c = float(row["coverage"]) * n
                    if abs(c - round(c)) > 1e-6:
                        raise SystemExit(f"{f.name}: query {q}: non-integral correct count {c}")
                    samples.append({
                        "config": config, "model": model, "attention": attention, "local": local,
                        "kv_budget": budget + local if attention != "dense" else 0, "block": block,
                        "query_id": q, "answer": row["choices"], "n_samples": n, "n_correct": round(c),
                        "generation_lengths": " ".join(str(int(x)) for x in lengths),
                    })
                    seen.add(q)
                costs.append({
                    "config": config, "query_id": q, "trial": trial,
                    "compute_cost": row["compute_cost"], "memory_cost": row["memory_cost"],
                })
    for name, rows in [("aime24_samples.csv", samples), ("aime24_costs.csv", costs)]:
        with open(here / name, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
    print(f"{len(files)} files -> {len(samples)} (config, query) rows, {len(costs)} cost rows")


if __name__ == "__main__":
    main(sys.argv[1])
