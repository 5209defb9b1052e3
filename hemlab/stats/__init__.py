"""Statistics: what a table of runs says. Summaries with confidence intervals over seeds
(:func:`summarize`), the paper's claims with their bands (:data:`CLAIMS`), a verdict per claim
from paired, Holm-adjusted evidence (:func:`verdicts`), loss ranks, the controlled timing of
claim 7, and the helpers the notebooks use (:func:`paired_difference`, :func:`margin_sweep`,
:func:`verdict_lines`)::

    from hemlab import stats
    summary = stats.summarize(table)
    verdicts = stats.verdicts(table, "quick")
    print(stats.verdict_lines(verdicts))

Statistics read tables and the task layer's declarations (:mod:`hemlab.tasks`); they never run
a sweep or touch the store. The names load on first use (PEP 562).
"""
from __future__ import annotations

from hemlab.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "hemlab.stats.claims": ("CLAIMS", "EVERY_OTHER", "Claim", "Headline", "headlines"),
    "hemlab.stats.notebook": ("MARGIN_SWEEP_COLUMNS", "PAIRED_COLUMNS", "PAIRED_TO_COLUMNS", "hem_margins",
                              "margin_sweep", "paired_difference", "paired_differences", "select_cell",
                              "verdict_lines"),
    "hemlab.stats.ranks": ("loss_ranks",),
    "hemlab.stats.summary": ("confidence_interval", "headline_table", "metric_table", "summarize"),
    "hemlab.stats.timing": ("measure_training_time",),
    "hemlab.stats.claim_verdicts": ("VERDICTS", "verdicts"),
}
_HOME, __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
__all__ = sorted(_HOME)
