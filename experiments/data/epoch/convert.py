"""Convert Epoch AI Benchmarking Hub eval summaries into ttsim sample logs (not run by ttsim).

Usage: ``python convert.py MIRROR_GIT_DIR OUT_DIR`` where MIRROR_GIT_DIR is a git directory of
``feruiloba/miri-fellowship-inference-scaling`` at the commit named in PROVENANCE.md. Each run's
``data/eci/log_viewer_json/<run>/summaries.json`` (inspect_ai sample summaries) becomes
``<out>/<name>.csv`` with columns ``problem,sample,answer,correct,tokens``; see PROVENANCE.md.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

RUNS = {
    # name: (run id, scorer)
    "otis_aime_o3_mini": ("ajytUBY9bDPNNxuBfi5UBS", "model_graded"),
    "otis_aime_gemini_2_0_flash": ("ZnGSRrKbiEnuju4kk4sgVb", "model_graded"),
    "otis_aime_claude_3_7_sonnet": ("N2NcmgmHyGJ9HNmQe5yvcS", "model_graded"),
    "otis_aime_gemini_1_5_pro_002": ("fhCdyX9uUS4WPtjLiVdBdK", "model_graded"),
    "gpqa_gpt_3_5_turbo_0125": ("eZaQhpbhbzbo3sbKGS5Efa", "choice"),
    "gpqa_claude_2_0": ("mTa4f52zsEuxdrPy7WfQvX", "choice"),
    "gpqa_gpt_5_nano": ("2pSDjMSGDh4HsAxkqUuNQP", "choice"),
}


def _boxed(text: str) -> list[str]:
    out, i = [], 0
    while (j := text.find("\\boxed{", i)) >= 0:
        k, depth = j + 7, 1
        while k < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
        out.append(text[j + 7 : k - 1])
        i = k
    return out


def normalize(ans: str) -> str:
    """Strip LaTeX wrappers; an answer that starts with an integer becomes that integer."""
    ans = ans.strip()
    boxed = _boxed(ans)
    if boxed:
        ans = boxed[-1]
    ans = re.sub(r"\\text\{([^}]*)\}", r"\1", ans)
    for tok in ("$", "\\!", "\\,", ",", "\\]", "\\[", "\\)", "\\("):
        ans = ans.replace(tok, "")
    ans = ans.strip().strip("*.}{ ")
    m = re.match(r"^(-?\d+)\b", ans)
    return str(int(m.group(1))) if m else ans


def extract_answer(text: str | None) -> str:
    """The final answer of a free-text AIME response: the last ``ANSWER: x`` line, else the last
    ``\\boxed{x}``, else the last "final answer is x"; "" when none is found."""
    text = text or ""
    found = re.findall(r"ANSWER\s*:\s*(.+)", text)
    if found:
        return normalize(found[-1])
    boxed = _boxed(text)
    if boxed:
        return normalize(boxed[-1])
    found = re.findall(r"[Ff]inal [Aa]nswer(?: is)?\s*:?\s*(.+)", text)
    return normalize(found[-1]) if found else ""


def convert(git_dir: str, run: str, scorer: str) -> list[dict]:
    path = f"HEAD:data/eci/log_viewer_json/{run}/summaries.json"
    data = json.loads(subprocess.run(["git", "-C", git_dir, "show", path], capture_output=True, text=True, check=True).stdout)
    rows = []
    for s in data:
        score = s.get("scores", {}).get(scorer)
        if score is None:  # errored sample: no score, no answer
            answer, correct = "", 0
        else:
            raw = score.get("answer")
            answer = (raw or "").strip() if scorer == "choice" else extract_answer(raw)
            correct = int(score.get("value") == "C")
        usage = s.get("model_usage") or {}
        tokens = ""
        if usage:
            solver = next(iter(usage.values()))  # the first entry is the model under test
            tokens = solver.get("output_tokens", "")
        rows.append({"problem": s["id"], "sample": s["epoch"], "answer": answer, "correct": correct, "tokens": tokens})
    rows.sort(key=lambda r: (r["problem"], int(r["sample"])))
    return rows


def main(git_dir: str, out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, (run, scorer) in RUNS.items():
        rows = convert(git_dir, run, scorer)
        with open(out / f"{name}.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["problem", "sample", "answer", "correct", "tokens"])
            w.writeheader()
            w.writerows(rows)
        print(name, len(rows))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
