"""Scaling laws of coverage in k, fitted to counts and checked on held-out k: ``ttsim.laws``.

:func:`fit_law` is the one fit routine for every law (``"exp-power"`` c = exp(a k^b),
``"power"``, ``"beta"``); :func:`check_law` tests its extrapolation. See ``docs/estimators.md``.
"""

from ttsim._src.laws import LAWS, LawCheck, LawFit, check_law, fit_law, k_grid, law_curve
from ttsim._src.logs_plot import plot_law_checks

__all__ = ("LAWS", "LawCheck", "LawFit", "check_law", "fit_law", "k_grid", "law_curve", "plot_law_checks")
