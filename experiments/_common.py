"""Output helpers shared by the experiments: data location, results, tables, figures."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from ttsim.cli._common import format_cell
from ttsim.cli._common import to_jsonable as _clean


def data_dir(name: str) -> Path:
    """Folder of the data set ``name`` shipped with the experiments (``experiments/data/<name>``)."""
    return Path(str(resources.files("ttsim.experiments") / "data" / name))


def comparison(quantity: str, reproduced: float, paper: float | None, *, note: str = "") -> dict:
    """One row of "ours vs the paper": the difference is ``reproduced - paper``."""
    reproduced = float(reproduced)
    diff = None if paper is None else reproduced - float(paper)
    return {"quantity": quantity, "reproduced": reproduced, "paper": paper, "difference": diff, "note": note}


def write_results(out_dir: Path, results: dict) -> dict:
    """Write ``results.json`` (strict JSON: NaN/inf become null) and return the cleaned dict."""
    cleaned = _clean(results)
    Path(out_dir, "results.json").write_text(json.dumps(cleaned, indent=2, allow_nan=False) + "\n")
    return cleaned


def write_table(out_dir: Path, rows: Sequence[dict], *, stem: str = "table", title: str | None = None) -> None:
    """Write ``rows`` (dicts with the same keys) as ``<stem>.csv`` and ``<stem>.md``."""
    rows = [_clean(r) for r in rows]
    if not rows:
        raise ValueError("rows: nothing to write")
    keys = list(rows[0].keys())
    with open(Path(out_dir, f"{stem}.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)

    def fmt(v: Any) -> str:
        return format_cell(v, digits=4, missing="")

    lines = [f"# {title}", ""] if title else []
    lines.append("| " + " | ".join(keys) + " |")
    lines.append("|" + "---|" * len(keys))
    lines += ["| " + " | ".join(fmt(r.get(k)) for k in keys) + " |" for r in rows]
    Path(out_dir, f"{stem}.md").write_text("\n".join(lines) + "\n")


def save_figure(fig, out_dir: Path, name: str = "figure.png") -> None:
    """Save a matplotlib figure as PNG and close it."""
    import matplotlib.pyplot as plt

    fig.savefig(Path(out_dir, name), dpi=120, bbox_inches="tight")
    plt.close(fig)


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
