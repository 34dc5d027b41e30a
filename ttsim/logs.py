"""Sample logs and their estimators: ``ttsim.logs``.

Read a log (:func:`read_log`, :func:`read_sample_log`, :func:`read_counts`), then estimate
pass@k (:func:`estimate_pass_at_k`), maj@k (:func:`estimate_maj_at_k`) and bootstrap
intervals over problems (:func:`bootstrap_ci`). See ``docs/estimators.md``.
"""

from ttsim._src.confidence import estimate_confidence_filtering, filtered_vote_score
from ttsim._src.logs import (
    COUNT_COLUMNS,
    SAMPLE_COLUMNS,
    ConfidenceInterval,
    Counts,
    MajAtK,
    SampleLog,
    bootstrap_ci,
    counts_from_samples,
    default_ks,
    default_num_trials,
    estimate_maj_at_k,
    estimate_pass_at_k,
    pass_at_k_exact,
    problem_order,
    read_counts,
    read_log,
    read_sample_log,
)
from ttsim._src.logs_plot import plot_estimates
from ttsim._src.stopping_logs import (
    StoppingEstimate,
    estimate_stopping,
    estimate_stopping_arrays,
    log_arrays,
)

__all__ = (
    "StoppingEstimate",
    "estimate_confidence_filtering",
    "estimate_stopping",
    "estimate_stopping_arrays",
    "filtered_vote_score",
    "log_arrays",
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
    "plot_estimates",
    "problem_order",
    "read_counts",
    "read_log",
    "read_sample_log",
)
