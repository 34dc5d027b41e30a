"""Real sample logs and their estimators: one import point for the modules that hold them.

* :mod:`ttsim._src.logs_read` -- reading sample logs and counts (pyarrow, vectorised checks);
* :mod:`ttsim._src.logs_passk` -- the unbiased pass@k estimator, exact in float64;
* :mod:`ttsim._src.logs_majk` -- maj@k (exact dynamic programme, batched Monte Carlo in JAX);
* :mod:`ttsim._src.logs_bootstrap` -- percentile bootstrap intervals over problems;
* :mod:`ttsim._src.logs_plot` -- figures of the measured curves.
"""

from ttsim._src.logs_bootstrap import ConfidenceInterval, bootstrap_ci
from ttsim._src.logs_majk import MajAtK, default_num_trials, estimate_maj_at_k
from ttsim._src.logs_passk import (
    default_ks,
    estimate_pass_at_k,
    pass_at_k_exact,
    per_problem_pass_at_k,
)
from ttsim._src.logs_read import (
    COUNT_COLUMNS,
    SAMPLE_COLUMNS,
    Counts,
    SampleLog,
    counts_from_samples,
    problem_order,
    read_counts,
    read_log,
    read_sample_log,
)

__all__ = (
    "COUNT_COLUMNS",
    "SAMPLE_COLUMNS",
    "ConfidenceInterval",
    "Counts",
    "MajAtK",
    "SampleLog",
    "bootstrap_ci",
    "counts_from_samples",
    "default_ks",
    "default_num_trials",
    "estimate_maj_at_k",
    "estimate_pass_at_k",
    "pass_at_k_exact",
    "per_problem_pass_at_k",
    "problem_order",
    "read_counts",
    "read_log",
    "read_sample_log",
)
