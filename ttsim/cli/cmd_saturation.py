"""``ttsim saturation``: when does one more sample or refinement step stop paying?

  ttsim saturation --p 0.1 --eps 0.01                         # parallel: F(N) = 1-(1-p)^N
  ttsim saturation --p 0.1 --eps 0.01 --strategy sequential   # TTSPM: p is p_r (p0=0, a=p_r, b=0)
  ttsim saturation --a 0.3 --b 0.05 --p0 0.2 --eps 0.001 --strategy sequential   # fix/break chain
  ttsim saturation --worst-case --eps 0.01,0.005,0.001        # max over p: 37 / 74 / 368

With --strategy sequential, --worst-case maximises over TTSPM's p_r (the same curve, so the same
numbers). A fix/break chain never saturates later than max(2, N* of the TTSPM curve at p_r = a):
its gain g*lam^N has g <= a and 0 <= lam <= 1 - a, or lam < 0 and N* <= 2.

N* is the smallest N >= 1 whose marginal gain F(N+1) - F(N) is below eps (strict).
"""

from __future__ import annotations

import math

from ttsim.cli._common import CLIError, format_table, parse_float_list, print_json

_CONVENTION = "smallest N >= 1 with F(N+1) - F(N) < eps"


def register(sub) -> None:
    p = sub.add_parser(
        "saturation",
        help="saturation point: the N after which one more unit gains less than eps",
        description="Saturation point N* = smallest N >= 1 with F(N+1) - F(N) < eps, for parallel "
        "sampling F(N) = 1-(1-p)^N, sequential refinement (TTSPM p_r, or the fix/break chain "
        "p_N = pi + (p0 - pi)(1-a-b)^N), or the worst case over p.",
    )
    p.add_argument("--p", type=float, help="per-sample success probability (parallel) or per-step p_r (sequential)")
    p.add_argument("--eps", required=True, help="marginal-gain threshold in (0, 1); a comma list gives several rows")
    p.add_argument("--strategy", choices=("parallel", "sequential"), default="parallel")
    p.add_argument("--a", type=float, help="sequential: P(wrong -> right) per refinement step")
    p.add_argument("--b", type=float, default=None, help="sequential: P(right -> wrong) per step (default 0)")
    p.add_argument("--p0", type=float, default=None, help="sequential: initial accuracy (default 0)")
    p.add_argument(
        "--worst-case",
        action="store_true",
        help="maximise N* over p (prints p_worst); with --strategy sequential, over TTSPM's p_r (same curve)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _check_prob(flag: str, x: float | None) -> None:
    if x is not None and not (0.0 <= x <= 1.0):
        raise CLIError(f"{flag} must lie in [0, 1]; got {x!r}")


def _eps_list(text: str) -> list[float]:
    eps = parse_float_list(text, name="--eps")
    for e in eps:
        if not (0.0 < e < 1.0) or math.isnan(e):
            raise CLIError(f"--eps must lie in (0, 1); got {e!r}")
    return eps


def _scalar_or_list(values: list):
    return values[0] if len(values) == 1 else values


def run(args) -> int:
    import numpy as np

    import ttsim

    eps = _eps_list(args.eps)
    tiny = float(np.finfo(np.float32).tiny)
    if not args.x64 and min(eps) < tiny:
        raise CLIError(f"--eps must be >= {tiny:.3g} in float32 (use --x64 for smaller); got {min(eps)!r}")
    if args.worst_case:
        extra = [f for f, x in (("--p", args.p), ("--a", args.a), ("--b", args.b), ("--p0", args.p0)) if x is not None]
        if extra:
            raise CLIError(f"{extra[0]} cannot be combined with --worst-case (the worst case maximises over p)")
        res = ttsim.accuracy.worst_case_saturation_point(np.asarray(eps, np.float64 if args.x64 else np.float32))
        n = [int(x) for x in np.atleast_1d(res.n_star)]
        pw = [float(x) for x in np.atleast_1d(res.p_worst)]
        xm = [float(x) for x in np.atleast_1d(res.x_max)]
        out = {
            "mode": "worst_case",
            "strategy": args.strategy,
            "eps": _scalar_or_list(eps),
            "n_star": _scalar_or_list(n),
            "p_worst": _scalar_or_list(pw),
            "x_max": _scalar_or_list(xm),
            "convention": _CONVENTION,
        }
        rows = list(zip(eps, n, pw, xm))
        headers = ("eps", "n_star", "p_worst", "x_max")
    elif args.strategy == "parallel":
        if args.p is None:
            raise CLIError("--p is required (or use --worst-case)")
        bad = [f for f, x in (("--a", args.a), ("--b", args.b), ("--p0", args.p0)) if x is not None]
        if bad:
            raise CLIError(f"{bad[0]} applies only to --strategy sequential")
        _check_prob("--p", args.p)
        e = np.asarray(eps, np.float32 if not args.x64 else np.float64)
        n = np.atleast_1d(ttsim.accuracy.parallel_saturation_point(args.p, e))
        acc = np.atleast_1d(ttsim.coverage(args.p, n))
        out = {
            "mode": "point",
            "strategy": "parallel",
            "p": args.p,
            "eps": _scalar_or_list(eps),
            "n_star": _scalar_or_list([int(x) for x in n]),
            "accuracy_at_n_star": _scalar_or_list([float(x) for x in acc]),
            "convention": _CONVENTION,
        }
        rows = [(e_, int(n_), float(a_)) for e_, n_, a_ in zip(eps, n, acc)]
        headers = ("eps", "n_star", "accuracy_at_n_star")
    else:
        if args.p is not None and args.a is not None:
            raise CLIError("--p (TTSPM p_r) and --a (fix/break chain) are alternatives; give one")
        if args.p is not None:
            if args.b is not None or args.p0 is not None:
                raise CLIError("--p is TTSPM's p_r (p0 = 0, b = 0); use --a with --b/--p0 for the general chain")
            _check_prob("--p", args.p)
            p0, a, b = 0.0, args.p, 0.0
        elif args.a is not None:
            p0 = 0.0 if args.p0 is None else args.p0
            b = 0.0 if args.b is None else args.b
            a = args.a
            for flag, x in (("--a", a), ("--b", b), ("--p0", p0)):
                _check_prob(flag, x)
        else:
            raise CLIError("--strategy sequential needs --p (TTSPM p_r) or --a [--b] [--p0] (fix/break chain)")
        e = np.asarray(eps, np.float32 if not args.x64 else np.float64)
        n = np.atleast_1d(ttsim.accuracy.refinement_saturation_point(p0, a, b, e))
        acc = np.atleast_1d(ttsim.refinement_accuracy(p0, a, b, n))
        limit = float(ttsim.accuracy.refinement_limit(p0, a, b))
        out = {
            "mode": "point",
            "strategy": "sequential",
            "p0": p0,
            "a": a,
            "b": b,
            "limit_accuracy": limit,
            "eps": _scalar_or_list(eps),
            "n_star": _scalar_or_list([int(x) for x in n]),
            "accuracy_at_n_star": _scalar_or_list([float(x) for x in acc]),
            "convention": _CONVENTION + " (N = refinement steps)",
        }
        rows = [(e_, int(n_), float(a_)) for e_, n_, a_ in zip(eps, n, acc)]
        headers = ("eps", "n_star", "accuracy_at_n_star")
    if args.json:
        print_json(out)
    else:
        desc = {k: out[k] for k in ("strategy", "p", "p0", "a", "b", "limit_accuracy") if k in out}
        print(f"saturation ({out['mode']}): " + ", ".join(f"{k}={v}" for k, v in desc.items()))
        print(f"N* = {_CONVENTION}")
        print(format_table(rows, headers))
    return 0
