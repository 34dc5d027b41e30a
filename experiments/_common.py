"""Shared by every experiment: data location, the one output layout, its schema, the plot style.

Every experiment writes, through :func:`write_outputs` (atomic writes):

* ``figure.png`` (drawn with :func:`pyplot` after :func:`apply_style`, saved by :func:`save_figure`);
* ``table.md`` + ``table.csv``: the paper comparison, one row per :func:`comparison`;
* ``data.csv``: the plotted data, long format;
* ``results.json``: ``experiment``, ``paper``, ``comparisons``, ``calibrated_constants`` and the
  experiment's own keys. The schema is documented in ``docs/results_schema.md`` and checked by
  :func:`validate_results` (the tests run it on every experiment, and :func:`write_outputs` runs
  it before writing anything).

Kinds of comparison row (issue 13, "one table, three kinds"):

* ``reproduced`` -- computed from the shipped real data with nothing tuned to the paper's number;
* ``consistency`` -- arithmetic on the paper's own fit, closed-form math, or a check of the data
  against itself (e.g. a table built from the same counts);
* ``calibrated`` -- depends on a free constant set to land on a paper number; the constant, its
  value and its target are listed in ``calibrated_constants``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from ttsim._src.outdir import atomic_write_bytes, atomic_write_text
from ttsim.cli._common import format_cell
from ttsim.cli._common import to_jsonable as _clean

KINDS = ("reproduced", "consistency", "calibrated")
"""The three kinds of comparison row, in the order tables list them."""

KIND_TITLES = {
    "reproduced": "Reproduced from data",
    "consistency": "Consistency checks",
    "calibrated": "Calibrated (a constant was set to land on a paper number)",
}

COMPARISON_KEYS = ("quantity", "reproduced", "paper", "difference", "kind", "note")
CALIBRATED_KEYS = ("name", "value", "target", "note")
REQUIRED_KEYS = ("experiment", "paper", "comparisons", "calibrated_constants")


def data_dir(name: str) -> Path:
    """Folder of the data set ``name`` shipped with the experiments (``experiments/data/<name>``)."""
    return Path(str(resources.files("ttsim.experiments") / "data" / name))


def _number(x):
    """A JSON number that keeps integers integers (Python/NumPy ints stay int, the rest float)."""
    if x is None:
        return None
    if isinstance(x, bool):
        return x
    if isinstance(x, int) or (hasattr(x, "dtype") and getattr(x.dtype, "kind", "") in "iu"):
        return int(x)
    return float(x)


def comparison(quantity: str, reproduced, paper, *, kind: str, note: str = "") -> dict:
    """One row of the paper comparison; ``difference = reproduced - paper``.

    ``kind`` is one of :data:`KINDS` (required: every row says what kind of evidence it is).
    ``paper`` may be None (a quantity the paper does not report as a number).
    """
    if kind not in KINDS:
        raise ValueError(f"kind: must be one of {', '.join(KINDS)}; got {kind!r}")
    r, p = _number(reproduced), _number(paper)
    diff = None if p is None or r is None else r - p
    return {"quantity": quantity, "reproduced": r, "paper": p, "difference": diff, "kind": kind, "note": note}


def calibrated(name: str, value, target: str, *, note: str = "") -> dict:
    """One calibrated (or stated-not-fitted) constant: its name, value and what it was set to hit."""
    return {"name": name, "value": _number(value) if not isinstance(value, str) else value,
            "target": target, "note": note}


# ----------------------------------------------------------------------------- schema


def validate_results(obj: Mapping) -> None:
    """Check a ``results.json`` object against the schema of ``docs/results_schema.md``.

    Raises ValueError naming the first offending key (``comparisons[3].kind`` ...).
    """
    if not isinstance(obj, Mapping):
        raise ValueError("results: must be a JSON object")
    for k in REQUIRED_KEYS:
        if k not in obj:
            raise ValueError(f"results: missing key {k!r}")
    if "comparison" in obj:
        raise ValueError("results: the key is 'comparisons' (plural); 'comparison' is not used")
    if not isinstance(obj["experiment"], str) or not obj["experiment"]:
        raise ValueError("experiment: must be a non-empty string")
    if not isinstance(obj["paper"], str) or not obj["paper"]:
        raise ValueError("paper: must be a non-empty citation string")
    rows = obj["comparisons"]
    if not isinstance(rows, list) or not rows:
        raise ValueError("comparisons: must be a non-empty list")
    for i, row in enumerate(rows):
        where = f"comparisons[{i}]"
        if not isinstance(row, Mapping) or set(row) != set(COMPARISON_KEYS):
            raise ValueError(f"{where}: keys must be exactly {', '.join(COMPARISON_KEYS)}")
        if not isinstance(row["quantity"], str) or not row["quantity"]:
            raise ValueError(f"{where}.quantity: must be a non-empty string")
        if row["kind"] not in KINDS:
            raise ValueError(f"{where}.kind: must be one of {', '.join(KINDS)}; got {row['kind']!r}")
        for k in ("reproduced", "paper", "difference"):
            v = row[k]
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ValueError(f"{where}.{k}: must be a number or null; got {v!r}")
        if row["paper"] is not None and row["reproduced"] is not None:
            if row["difference"] is None or not math.isclose(
                row["difference"], row["reproduced"] - row["paper"], rel_tol=1e-9, abs_tol=1e-12
            ):
                raise ValueError(f"{where}.difference: must be reproduced - paper")
        if not isinstance(row["note"], str):
            raise ValueError(f"{where}.note: must be a string")
    consts = obj["calibrated_constants"]
    if not isinstance(consts, list):
        raise ValueError("calibrated_constants: must be a list")
    for i, c in enumerate(consts):
        where = f"calibrated_constants[{i}]"
        if not isinstance(c, Mapping) or set(c) != set(CALIBRATED_KEYS):
            raise ValueError(f"{where}: keys must be exactly {', '.join(CALIBRATED_KEYS)}")
        if not isinstance(c["name"], str) or not isinstance(c["target"], str) or not c["target"]:
            raise ValueError(f"{where}: name and target must be non-empty strings")
    if any(r["kind"] == "calibrated" for r in rows) and not consts:
        raise ValueError("calibrated_constants: a 'calibrated' row needs its constant listed here")
    try:
        json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"results: not strict JSON ({e})") from None


# ----------------------------------------------------------------------------- writers


def _csv_text(rows: Sequence[Mapping], keys: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(keys), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows([{k: ("" if r.get(k) is None else r.get(k)) for k in keys} for r in rows])
    return buf.getvalue()


def _md_cell(v: Any) -> str:
    return format_cell(v, digits=4, missing="").replace("|", "\\|").replace("\n", " ")


def comparison_markdown(rows: Sequence[Mapping], title: str, constants: Sequence[Mapping] = ()) -> str:
    """The paper comparison as Markdown: one section per kind, then the calibrated constants."""
    lines = [f"# {title}", ""]
    cols = ("quantity", "reproduced", "paper", "difference", "note")
    for kind in KINDS:
        sel = [r for r in rows if r["kind"] == kind]
        if not sel:
            continue
        lines += [f"## {KIND_TITLES[kind]}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(_md_cell(r.get(k)) for k in cols) + " |" for r in sel]
        lines.append("")
    if constants:
        cols = CALIBRATED_KEYS
        lines += ["## Calibrated and stated constants", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(_md_cell(c.get(k)) for k in cols) + " |" for c in constants]
        lines.append("")
    return "\n".join(lines)


def write_csv(path: Path, rows: Sequence[Mapping], keys: Sequence[str] | None = None) -> None:
    """Write dict rows as CSV atomically (keys: the union of the rows' keys in first-seen order)."""
    rows = [_clean(dict(r)) for r in rows]
    if keys is None:
        keys = list(dict.fromkeys(k for r in rows for k in r))
    atomic_write_text(path, _csv_text(rows, keys))


def write_outputs(
    out_dir,
    *,
    experiment: str,
    paper: str,
    title: str,
    comparisons: Sequence[Mapping],
    calibrated_constants: Sequence[Mapping] = (),
    data: Iterable[Mapping] = (),
    extra: Mapping | None = None,
) -> dict:
    """Write ``table.md``, ``table.csv``, ``data.csv`` and ``results.json``; return the results.

    ``comparisons`` are rows made by :func:`comparison` (sorted by kind in the table, in the
    order given within a kind); ``data`` the plotted data (one dict per point); ``extra`` the
    experiment's own results keys (they may not shadow the schema's keys). The results are
    validated (:func:`validate_results`) before anything is written.
    """
    out = Path(out_dir)
    extra = dict(extra or {})
    clash = set(extra) & set(REQUIRED_KEYS)
    if clash:
        raise ValueError(f"extra: keys {sorted(clash)} are reserved by the results schema")
    order = {k: i for i, k in enumerate(KINDS)}
    rows = sorted((_clean(dict(r)) for r in comparisons), key=lambda r: order.get(r["kind"], 99))
    consts = [_clean(dict(c)) for c in calibrated_constants]
    results = _clean({"experiment": experiment, "paper": paper, "title": title, "comparisons": rows,
                      "calibrated_constants": consts, **extra})
    validate_results(results)
    atomic_write_text(out / "table.md", comparison_markdown(rows, title, consts))
    write_csv(out / "table.csv", rows, COMPARISON_KEYS)
    data = list(data)
    write_csv(out / "data.csv", data if data else [{"note": "no plotted data"}])
    atomic_write_text(out / "results.json", json.dumps(results, indent=2, allow_nan=False) + "\n")
    return results


def write_table(out_dir: Path, rows: Sequence[dict], *, stem: str, title: str | None = None) -> None:
    """An auxiliary table ``<stem>.csv`` + ``<stem>.md`` (not the paper comparison)."""
    rows = [_clean(r) for r in rows]
    if not rows:
        raise ValueError("rows: nothing to write")
    if stem in ("table", "data"):
        raise ValueError(f"stem: {stem!r} is reserved for the comparison table / plotted data")
    keys = list(dict.fromkeys(k for r in rows for k in r))
    write_csv(Path(out_dir, f"{stem}.csv"), rows, keys)
    lines = [f"# {title}", ""] if title else []
    lines.append("| " + " | ".join(keys) + " |")
    lines.append("|" + "---|" * len(keys))
    lines += ["| " + " | ".join(_md_cell(r.get(k)) for k in keys) + " |" for r in rows]
    atomic_write_text(Path(out_dir, f"{stem}.md"), "\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- plotting

# Okabe & Ito (2008) colour-blind-safe palette; black last so lines stay distinguishable.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
PAPER_MARKER = {"marker": "*", "s": 160, "color": "#D55E00", "edgecolor": "black", "linewidth": 0.7, "zorder": 6}


def palette(n: int) -> list:
    """``n`` colour-blind-safe colours: Okabe-Ito up to 8, else evenly spaced on cividis."""
    if n <= len(PALETTE):
        return list(PALETTE[:n])
    import matplotlib

    cmap = matplotlib.colormaps["cividis"]
    return [cmap(x) for x in [i / max(1, n - 1) * 0.95 for i in range(n)]]


def apply_style() -> None:
    """The shared style: readable sizes, the colour-blind-safe cycle, light grids."""
    import matplotlib
    from cycler import cycler

    matplotlib.rcParams.update({
        "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8,
        "xtick.labelsize": 9, "ytick.labelsize": 9, "figure.titlesize": 12,
        "axes.prop_cycle": cycler(color=list(PALETTE)), "axes.grid": True, "grid.alpha": 0.3,
        "legend.framealpha": 0.85, "savefig.dpi": 130, "figure.constrained_layout.use": True,
    })


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend, with :func:`apply_style` applied."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    apply_style()
    return plt


def mark_paper(ax, x, y, label: str, *, offset=(8, 8), fontsize: int = 8) -> None:
    """Mark a paper value on ``ax`` as a labelled star (the shared reference-point style)."""
    ax.scatter([x], [y], **PAPER_MARKER, label=None)
    ax.annotate(label, (x, y), textcoords="offset points", xytext=offset, fontsize=fontsize,
                color="#7F2704", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})


def save_figure(fig, out_dir: Path, name: str = "figure.png") -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(Path(out_dir, name), buf.getvalue())


def validate_output_dir(out_dir) -> dict:
    """Check one experiment's folder: the four files exist, ``results.json`` passes
    :func:`validate_results` and ``table.csv`` holds exactly its comparison rows. Returns the results."""
    out = Path(out_dir)
    for name in ("figure.png", "table.md", "table.csv", "data.csv", "results.json"):
        if not (out / name).is_file() or (out / name).stat().st_size == 0:
            raise ValueError(f"{out}: missing or empty {name}")
    if (out / "figure.png").read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{out}: figure.png is not a PNG")
    results = json.loads((out / "results.json").read_text())
    validate_results(results)
    with open(out / "table.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    if [r["quantity"] for r in table] != [r["quantity"] for r in results["comparisons"]]:
        raise ValueError(f"{out}: table.csv rows differ from results.json's comparisons")
    if tuple(table[0].keys()) != COMPARISON_KEYS:
        raise ValueError(f"{out}: table.csv columns must be {', '.join(COMPARISON_KEYS)}")
    return results


def write_results(out_dir, results: dict) -> dict:
    """Deprecated: write ``results.json`` alone; use :func:`write_outputs` (the one layout)."""
    import warnings

    warnings.warn("_common.write_results is deprecated; use _common.write_outputs", DeprecationWarning, stacklevel=2)
    cleaned = _clean(results)
    atomic_write_text(Path(out_dir, "results.json"), json.dumps(cleaned, indent=2, allow_nan=False) + "\n")
    return cleaned
