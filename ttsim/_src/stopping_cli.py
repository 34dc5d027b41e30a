"""The ``stopping`` object of ``ttsim estimate --stopping`` (kept out of the CLI module)."""

from __future__ import annotations


def stopping_summary(log, args, error) -> dict:
    """Run the chosen stopping rule on a sample log; ``error`` is the CLI's one-line error type."""
    import ttsim
    from ttsim._src.stopping_logs import estimate_stopping_arrays, log_arrays
    from ttsim._src.stopping_rules import adaptive_consistency_rule, doubling_rule, esc_rule

    if not isinstance(log, ttsim.SampleLog):
        raise error("--stopping: needs a sample log with an answer column (a counts file has no answers)")
    name = args.stopping
    try:
        if name == "esc":
            rule = esc_rule() if args.window is None else esc_rule(args.window)
        elif name == "adaptive":
            rule = adaptive_consistency_rule(0.95 if args.threshold is None else args.threshold)
        else:
            rule = doubling_rule(2.0 / 3.0 if args.threshold is None else args.threshold)
    except ValueError as err:
        flag = "--window" if "window" in str(err) else "--threshold"
        raise error(f"{flag}: {str(err).split(': ', 1)[-1]}") from None
    names, answers, correct, _ = log_arrays(log)
    sizes = [len(a) for a in answers]
    max_samples = args.max_samples
    if max_samples is None:
        max_samples = min(sizes)
        if rule.name == "esc":
            max_samples -= max_samples % dict(rule.describe)["window"]
    if max_samples < 1:
        raise error(f"--max-samples: must be >= 1 (and a multiple of the ESC window); got {max_samples}")
    for p, n in zip(names, sizes, strict=True):
        if n < max_samples:
            raise error(f"--max-samples: {max_samples} exceeds the {n} samples of problem {p!r} in {log.source}")
    num_trials = 20_000 if args.num_trials is None else args.num_trials
    try:
        est = estimate_stopping_arrays(answers, correct, rule, max_samples, num_trials=num_trials, seed=args.seed,
                                       problem_names=names)
    except ValueError as err:
        raise error(f"--max-samples: {str(err).split(': ', 1)[-1]}") from None
    import jax

    from ttsim import logs

    # the bootstrap and maj@k use the two halves of split(key(seed)); stopping folds in 2
    key = jax.random.fold_in(jax.random.key(args.seed), 2)
    maj = logs.estimate_maj_at_k(key, log, [max_samples], num_trials=num_trials)
    return {
        "method": rule.name,
        "parameters": dict(rule.describe),
        "max_samples": int(max_samples),
        "accuracy": est.accuracy,
        "mean_samples": est.mean_samples,
        "samples_saved": 1.0 - est.mean_samples / max_samples,
        "maj_at_max": float(maj.value[0]),
        "estimator": est.method,
        "mc_stderr": est.mc_stderr,
    }
