"""The paper's claims, each a comparison with written bands, fixed before any run.

Each task declares its headline and its claims beside its runner
(:mod:`hemlab.tasks.declaration`: the expectations, the bands and what "slightly", "much" and
"substantial" stand for are there). Here they are collected: :data:`CLAIMS` in the paper's
numbering, :func:`headlines` for a preset, and claim 7 (:data:`TIMING_CLAIM`), judged apart from a
controlled timing measurement. How each phrase of the paper maps onto a claim is written down
in ``docs/paper.md``.
"""
from __future__ import annotations

import re

from hemlab.tasks.declaration import (EVERY_OTHER, EXPECTATIONS, MUCH, PRACTICAL_BANDS, SLIGHT, SUBSTANTIAL,
                                      TIMING_BAND, Claim, Headline)
from hemlab.tasks.presets import task_settings
from hemlab.tasks.registry import TASKS


def headlines(preset: str) -> dict[str, Headline]:
    """The headline of each task for ``preset`` (only the adversarial eps depends on it)."""
    return {name: info.headline_for(task_settings(preset, name)) for name, info in TASKS.items()}


def _numbering(claim: Claim) -> tuple[int, str]:
    number, suffix = re.fullmatch(r"(\d+)(.*)", claim.claim).groups()
    return int(number), suffix


CLAIMS: tuple[Claim, ...] = tuple(sorted((claim for info in TASKS.values() for claim in info.claims), key=_numbering))
"""The paper's claims (``docs/paper.md``), each with the comparison that checks it, in the
paper's numbering; 4c reads claim 4 for the class-informed HEM (``hem:margins=frequency``),
which the paper distinguishes from plain HEM ("HEM-") on imbalanced data. They form one family:
the verdicts are Holm-adjusted over it. Claim 7 (wall-clock time) is judged apart, from a
controlled timing measurement (:mod:`hemlab.stats.timing`)."""

TIMING_CLAIM = Claim("7", "HEM trains faster than CE (about 10% less time)", "clean_corrupt", "hem", "ce", "better",
                     condition="training", metric="time_ratio", band=TIMING_BAND)
"""Claim 7, judged from :func:`hemlab.stats.timing.measure_training_time`, never from sweep wall times."""

__all__ = ["CLAIMS", "Claim", "EVERY_OTHER", "EXPECTATIONS", "Headline", "MUCH", "PRACTICAL_BANDS", "SLIGHT",
           "SUBSTANTIAL", "TIMING_BAND", "TIMING_CLAIM", "headlines"]
