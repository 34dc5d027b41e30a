"""``ttsim optimize --config FILE.toml [--json]``: the compute-optimal allocation of a budget.

The config names a population, difficulty bins, a cost unit, strategy grids, optional
per-option constraints and budgets; see ``experiments/optimize_example.toml`` (shipped as
``ttsim/experiments/optimize_example.toml``) and ``docs/optimizer.md``. Every key is checked: an
unknown or malformed key is an error that names it.

A ``[[strategy]]`` table either uses the original keys (``name`` in ``parallel``,
``majority_vote``, ``verifier_bon``, ``sequential``, ``hybrid``, ``solver_verifier`` with
``n``/``t``/``v`` and the shared ``[params]``; deprecated but kept), or names a strategy value —
a constructor of ``ttsim.strategies`` or ``"package.module:function"`` — and gives lists for
the fields of its params (e.g. ``name = "parallel"``, ``k = [1, 4, 16]``) plus constructor
options under ``[strategy.options]``. A ``[[constraint]]`` table (``unit``, ``max``) makes every
option whose mean cost per problem in that registered unit exceeds ``max`` infeasible.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ttsim.cli._common import CLIError, format_table, print_json

_SECTIONS = {
    "population": {"source", "alpha", "beta", "num_nodes", "file", "models", "p", "weight"},
    "bins": {"num_bins", "kind", "predictor_samples", "logit_noise", "seed", "per_problem", "reference_model"},
    "cost": {"unit", "gen_tokens", "prompt_tokens", "models", "hardware", "kv_budget"},
    "params": {"wrong_mode_share", "d_prime", "fix_rate", "break_rate", "tpr", "fpr", "verify_cost", "num_other",
               "vote_max_k", "split_max_v"},
    "search": {"method", "budgets", "compare_exact", "max_exact_points", "max_nodes", "relaxed_steps", "learning_rate"},
}
_STRATEGY_KEYS = {"name", "n", "t", "v", "model", "hardware"}
_CONSTRAINT_KEYS = {"unit", "max", "models", "hardware"}
_ALIASES = {"verifier_bon": "verifier_best_of_k", "verifier": "verifier_best_of_k", "best_of_n": "parallel",
            "coverage": "parallel", "vote": "majority_vote", "split": "solver_verifier", "genrm": "solver_verifier"}
_SEARCH_ERROR_KEYS = {"method": "[search] method", "budget": "[search] budgets", "max_exact_points": "[search] max_exact_points",
                      "options": "[[strategy]]", "models": "[cost] models", "hardware": "[cost] hardware",
                      "constraints": "[[constraint]]"}


def register(sub) -> None:
    p = sub.add_parser(
        "optimize",
        help="search the compute-optimal allocation of a budget across difficulty bins",
        description="Read a TOML config (population, bins, cost unit, strategy grids, budgets) and print the "
        "best allocation per budget: accuracy, cost, the option chosen for each bin, the gap to the "
        "exhaustive search and the model evaluations used.",
    )
    p.add_argument("--config", required=True, help="TOML file (see experiments/optimize_example.toml)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


# ------------------------------------------------------------------------------- config


def _err(path, key, msg):
    return CLIError(f"{path}: {key}: {msg}")


def _get(sec: dict, name: str, key: str, path, default=None, *, required=False, kind=None):
    label = name if name.startswith("[") else f"[{name}]"  # "[[strategy]] #2" is already a label
    if key not in sec:
        if required:
            raise _err(path, f"{label} {key}", "missing required key")
        return default
    val = sec[key]
    if kind == "number" and (isinstance(val, bool) or not isinstance(val, (int, float))):
        raise _err(path, f"{label} {key}", f"expected a number, got {val!r}")
    if kind == "int" and (isinstance(val, bool) or not isinstance(val, int)):
        raise _err(path, f"{label} {key}", f"expected an integer, got {val!r}")
    if kind == "str" and not isinstance(val, str):
        raise _err(path, f"{label} {key}", f"expected a string, got {val!r}")
    if kind == "bool" and not isinstance(val, bool):
        raise _err(path, f"{label} {key}", f"expected true or false, got {val!r}")
    if kind == "numbers":
        vals = val if isinstance(val, list) else [val]
        if not vals or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in vals):
            raise _err(path, f"{label} {key}", f"expected a number or a list of numbers, got {val!r}")
    if kind == "strs":
        vals = val if isinstance(val, list) else [val]
        if not vals or any(not isinstance(x, str) for x in vals):
            raise _err(path, f"{label} {key}", f"expected a string or a list of strings, got {val!r}")
        return vals
    return val


def load_config(path) -> dict:
    """Parse and check a config file; returns the built ttsim objects (raises CLIError naming the key)."""
    import ttsim

    path = Path(path)
    from ttsim._src.registry import read_toml

    try:
        cfg = read_toml(path, "--config")
    except FileNotFoundError:
        raise CLIError(f"--config: file not found: {path}") from None
    except ValueError as e:
        raise CLIError(str(e)) from None
    known = set(_SECTIONS) | {"strategy", "constraint"}
    for key in cfg:
        if key not in known:
            raise _err(path, key, f"unknown section (known: {', '.join(sorted(known))})")
    for name, keys in _SECTIONS.items():
        sec = cfg.get(name, {})
        if not isinstance(sec, dict):
            raise _err(path, f"[{name}]", "must be a table")
        for key in sec:
            if key not in keys:
                raise _err(path, f"[{name}] {key}", f"unknown key (known: {', '.join(sorted(keys))})")
    for name in ("population", "search"):
        if name not in cfg:
            raise _err(path, f"[{name}]", "missing required section")
    strategies = cfg.get("strategy")
    if not isinstance(strategies, list) or not strategies:
        raise _err(path, "[[strategy]]", "need at least one [[strategy]] table")

    # population -> p (M, P), weight, model names
    pop = cfg["population"]
    source = _get(pop, "population", "source", path, required=True, kind="str")
    model_names = None
    weight = None
    try:
        if source == "beta":
            a = _get(pop, "population", "alpha", path, required=True, kind="numbers")
            b = _get(pop, "population", "beta", path, required=True, kind="numbers")
            nodes = _get(pop, "population", "num_nodes", path, 32, kind="int")
            a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
            if a.shape != b.shape:
                raise _err(path, "[population] alpha", "alpha and beta must have the same length (one per model)")
            pops = [ttsim.beta_population(x, y, num_nodes=nodes) for x, y in zip(a, b)]
            p = np.stack([np.asarray(q.p, float) for q in pops])
            weight = np.asarray(pops[0].weight, float)
            if len(pops) > 1 and not all(np.allclose(q.weight, weight) for q in pops):
                raise _err(path, "[population] alpha", "several Beta models must share one quadrature (same alpha, beta shape)")
        elif source == "counts":
            file = Path(_get(pop, "population", "file", path, required=True, kind="str"))
            if not file.is_absolute():
                file = path.parent / file
            models = _get(pop, "population", "models", path, None, kind="strs")
            if models is None:
                counts = ttsim.read_counts(file)
                p = (np.asarray(counts.c, float) / np.asarray(counts.n, float))[None]
            else:
                by_model = ttsim.read_counts(file, group_by="model")
                missing = [m for m in models if m not in by_model]
                if missing:
                    raise _err(path, "[population] models", f"{missing} not in {file} (has {', '.join(by_model)})")
                p = np.stack([np.asarray(by_model[m].c, float) / np.asarray(by_model[m].n, float) for m in models])
                model_names = models
        elif source == "p":
            vals = _get(pop, "population", "p", path, required=True)
            p = np.asarray(vals, float)
            p = p[None] if p.ndim == 1 else p
            if "weight" in pop:
                weight = np.asarray(_get(pop, "population", "weight", path, kind="numbers"), float)
        else:
            raise _err(path, "[population] source", f"must be 'beta', 'counts' or 'p'; got {source!r}")
    except ValueError as e:
        raise _err(path, "[population]", str(e)) from None

    # bins
    bins_cfg = cfg.get("bins", {})
    num_bins = _get(bins_cfg, "bins", "num_bins", path, 5, kind="int")
    kind = _get(bins_cfg, "bins", "kind", path, "oracle", kind="str")
    seed = _get(bins_cfg, "bins", "seed", path, 0, kind="int")
    ref = _get(bins_cfg, "bins", "reference_model", path, 0, kind="int")
    per_problem = _get(bins_cfg, "bins", "per_problem", path, False, kind="bool")
    if not 0 <= ref < p.shape[0]:
        raise _err(path, "[bins] reference_model", f"must index a population model in [0, {p.shape[0]})")
    import jax

    key = jax.random.key(seed)
    try:
        if per_problem:
            bins = np.arange(p.shape[1])
            num_bins = p.shape[1]
        else:
            if kind == "oracle":
                score = p[ref]
            elif kind == "predicted":
                ns = _get(bins_cfg, "bins", "predictor_samples", path, None, kind="int")
                ln = _get(bins_cfg, "bins", "logit_noise", path, None, kind="number")
                if (ns is None) == (ln is None):
                    raise _err(path, "[bins] predictor_samples", "give exactly one of predictor_samples and logit_noise for predicted bins")
                score = np.asarray(ttsim.predicted_difficulty(key, p[ref], num_samples=ns, logit_noise=ln))
            else:
                raise _err(path, "[bins] kind", f"must be 'oracle' or 'predicted'; got {kind!r}")
            bins = np.asarray(ttsim.difficulty_bins(jax.random.fold_in(key, 1), score, num_bins, weight))
    except ValueError as e:
        raise _err(path, "[bins]", str(e)) from None

    # cost
    cost_cfg = cfg.get("cost", {})
    unit = _get(cost_cfg, "cost", "unit", path, "samples", kind="str")
    from ttsim._src.cost_units import cost_units

    if unit not in cost_units():
        raise _err(path, "[cost] unit", f"unknown unit {unit!r}; known: {', '.join(cost_units())}")
    gen = _get(cost_cfg, "cost", "gen_tokens", path, 1.0 if unit == "samples" else None, kind="number")
    if gen is None:
        raise _err(path, "[cost] gen_tokens", f"required for unit {unit!r}")
    prompt = _get(cost_cfg, "cost", "prompt_tokens", path, 0.0, kind="number")
    try:
        spec = ttsim.cost_spec(unit, models=tuple(_get(cost_cfg, "cost", "models", path, [], kind="strs") if "models" in cost_cfg else ()),
                               hardware=tuple(_get(cost_cfg, "cost", "hardware", path, [], kind="strs") if "hardware" in cost_cfg else ()),
                               kv_budget=_kv(_get(cost_cfg, "cost", "kv_budget", path, None, kind="numbers")))
        binned = ttsim.bin_population(p, bins, num_bins, weight=weight, gen_tokens=gen, prompt_tokens=prompt)
    except ValueError as e:
        raise _err(path, "[cost]", str(e)) from None

    # params
    pc = cfg.get("params", {})
    try:
        kw = {k: _get(pc, "params", k, path, kind="int" if k in ("num_other", "vote_max_k", "split_max_v") else "number")
              for k in pc}
        with warnings.catch_warnings():  # [params] feeds the original n/t/v strategies (deprecated adapters)
            warnings.simplefilter("ignore", DeprecationWarning)
            params = ttsim.strategy_params(**kw)
    except ValueError as e:
        raise _err(path, "[params]", str(e)) from None

    # strategies: the original n/t/v form (deprecated adapters) or strategy values by name
    from ttsim._src.option_grid import concat_grids, describe_grid_option

    grids, describers = [], []
    for i, st in enumerate(strategies):
        where = f"[[strategy]] #{i + 1}"
        if not isinstance(st, dict):
            raise _err(path, where, "must be a table")
        name = _get(st, where, "name", path, required=True, kind="str")
        legacy = set(st) <= _STRATEGY_KEYS and _legacy_name(name)
        try:
            if legacy:
                kw = {k: _get(st, where, k, path, kind="numbers") for k in ("n", "t", "v", "model", "hardware") if k in st}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    opts = ttsim.make_options(name, **kw)
                grids.append(opts)
                describers += [(ttsim.describe_option, opts, j) for j in range(opts.num_options)]
            else:
                grid = _value_grid(st, name, where, path)
                grids.append(grid)
                describers += [(describe_grid_option, grid, j) for j in range(grid.num_options)]
        except ValueError as e:
            raise _err(path, where, str(e)) from None
    from ttsim._src.option_grid import as_grid

    options = concat_grids([as_grid(g, params) for g in grids])

    # constraints
    constraints = []
    cons = cfg.get("constraint", [])
    if not isinstance(cons, list):
        raise _err(path, "[[constraint]]", "must be an array of tables ([[constraint]])")
    for i, c in enumerate(cons):
        where = f"[[constraint]] #{i + 1}"
        if not isinstance(c, dict):
            raise _err(path, where, "must be a table")
        for k in c:
            if k not in _CONSTRAINT_KEYS:
                raise _err(path, f"{where} {k}", f"unknown key (known: {', '.join(sorted(_CONSTRAINT_KEYS))})")
        cunit = _get(c, where, "unit", path, required=True, kind="str")
        limit = _get(c, where, "max", path, required=True, kind="number")
        try:
            cspec = None
            if "models" in c or "hardware" in c:
                cspec = ttsim.cost_spec(cunit, models=tuple(_get(c, where, "models", path, [], kind="strs") or ()),
                                        hardware=tuple(_get(c, where, "hardware", path, [], kind="strs") or ()),
                                        kv_budget=spec.kv_budget)
            elif unit != cunit:
                cspec = ttsim.cost_spec(cunit, models=spec.models, hardware=spec.hardware, kv_budget=spec.kv_budget)
            from ttsim._src.option_grid import CostLimit

            constraints.append(CostLimit(cunit, float(limit), cspec))
        except ValueError as e:
            raise _err(path, where, str(e)) from None

    # search
    sc = cfg["search"]
    budgets = _get(sc, "search", "budgets", path, required=True, kind="numbers")
    method = _get(sc, "search", "method", path, "knapsack", kind="str")
    search = dict(
        method=method,
        compare_exact=_get(sc, "search", "compare_exact", path, False, kind="bool"),
        max_exact_points=_get(sc, "search", "max_exact_points", path, 4_000_000, kind="int"),
        max_nodes=_get(sc, "search", "max_nodes", path, 200_000, kind="int"),
        relaxed_steps=_get(sc, "search", "relaxed_steps", path, 300, kind="int"),
        learning_rate=_get(sc, "search", "learning_rate", path, 0.05, kind="number"),
    )
    if constraints:
        search["constraints"] = tuple(constraints)
    return dict(binned=binned, options=options, params=params, spec=spec, budgets=np.atleast_1d(np.asarray(budgets, float)),
                search=search, model_names=model_names or spec_names(spec, "models"),
                hardware_names=spec_names(spec, "hardware"), unit=unit, path=path, describers=describers)


def _legacy_name(name: str) -> bool:
    """A name the original n/t/v form knows (then n/t/v keep their original meaning)."""
    from ttsim._src.legacy_options import strategy_index

    try:
        strategy_index(name)
    except ValueError:
        return False
    return True


def _constructor(name: str, where: str, path):
    import importlib

    import ttsim.strategies as ts

    if ":" in name:
        mod, _, attr = name.partition(":")
        try:
            fn = getattr(importlib.import_module(mod), attr)
        except (ImportError, AttributeError) as e:
            raise _err(path, f"{where} name", f"cannot import {name!r}: {e}") from None
    else:
        key = _ALIASES.get(name, name)
        fn = getattr(ts, key, None)
        if fn is None or key not in ts.__all__ or not callable(fn) or key[:1].isupper():
            known = ", ".join(n for n in ts.__all__ if n[:1].islower() and n not in ("aggregate", "strategy_accuracy",
                                                                                      "total_samples"))
            raise _err(path, f"{where} name", f"unknown strategy {name!r} (known: {known}; or 'module:function')")
    return fn


def _value_grid(st: dict, name: str, where: str, path):
    from ttsim._src.option_grid import option_grid
    from ttsim._src.strategy import Strategy

    fn = _constructor(name, where, path)
    opts = st.get("options", {})
    if not isinstance(opts, dict):
        raise _err(path, f"{where} options", "must be a table of constructor options")
    try:
        strategy = fn(**opts)
    except TypeError as e:
        raise _err(path, f"{where} options", str(e)) from None
    if not isinstance(strategy, Strategy):
        raise _err(path, f"{where} name", f"{name!r} did not return a ttsim Strategy value")
    lists = {}
    for k in st:
        if k in ("name", "options", "model", "hardware"):
            continue
        lists[k] = _get(st, where, k, path, kind="numbers")
    kw = {k: _get(st, where, k, path, kind="numbers") for k in ("model", "hardware") if k in st}
    return option_grid(strategy, **kw, **lists)


def _kv(value):
    return tuple(value) if isinstance(value, list) else value


def spec_names(spec, field):
    items = getattr(spec, field)
    return [getattr(x, "name", str(x)) for x in items] if items else None


# ------------------------------------------------------------------------------- run


_NOT_PARAMS = {"bin", "mass", "strategy", "model", "hardware", "accuracy", "cost"}


def run(args) -> int:
    import ttsim

    cfg = load_config(args.config)
    try:
        res = ttsim.optimize_allocation(cfg["binned"], cfg["options"], cfg["budgets"], params=cfg["params"],
                                        spec=cfg["spec"], **cfg["search"])
    except ValueError as e:  # name the config key the library's argument came from
        arg, _, rest = str(e).partition(": ")
        key = _SEARCH_ERROR_KEYS.get(arg)
        raise CLIError(f"{cfg['path']}: {key}: {rest}" if key and rest else f"{cfg['path']}: {e}") from None
    mass = np.asarray(cfg["binned"].mass, float)
    out = {
        "method": res.method,
        "unit": cfg["unit"],
        "evaluations": res.evaluations,
        "exact_evaluations": res.exact_evaluations,
        "evaluation_ratio": (res.exact_evaluations / res.evaluations) if res.exact_evaluations else None,
        "seconds": res.seconds,
        "exact_seconds": res.exact_seconds if res.exact_evaluations else None,
        "results": [],
    }
    for k in range(res.budget.shape[0]):
        alloc = []
        for b in range(res.choice.shape[1]):
            fn, grid, j = cfg["describers"][int(res.choice[k, b])]
            d = fn(grid, j, cfg["model_names"], cfg["hardware_names"])
            alloc.append({"bin": b, "mass": mass[b], "accuracy": res.bin_accuracy[k, b], "cost": res.bin_cost[k, b], **d})
        out["results"].append({
            "budget": res.budget[k], "accuracy": res.accuracy[k], "cost": res.cost[k], "bound": res.bound[k],
            "exact_accuracy": res.exact_accuracy[k], "gap": res.gap[k], "certified": bool(res.certified[k]),
            "allocation": alloc,
        })
    if args.json:
        print_json(out)
        return 0
    rows = [[r["budget"], r["accuracy"], r["cost"], r["exact_accuracy"], r["gap"], r["certified"]] for r in out["results"]]
    print(format_table(rows, ["budget", "accuracy", "cost", "exact", "gap", "certified"]))
    ratio = out["evaluation_ratio"]
    print(f"\nmethod {res.method}, unit {cfg['unit']}: {res.evaluations} model evaluations, {res.seconds:.3g} s"
          + (f" (exhaustive table search: {res.exact_evaluations} allocations, {res.exact_seconds:.3g} s)" if ratio else ""))
    for r in out["results"]:
        print(f"\nbudget {r['budget']:g}:")
        arows = [[a["bin"], a["mass"], a["strategy"],
                  ", ".join(f"{k}={v}" for k, v in a.items() if k not in _NOT_PARAMS),
                  a["model"], a["hardware"], a["accuracy"], a["cost"]] for a in r["allocation"]]
        print(format_table(arows, ["bin", "mass", "strategy", "params", "model", "hardware", "accuracy", "cost"]))
    return 0
