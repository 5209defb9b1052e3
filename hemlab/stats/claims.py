"""The paper's claims, each a comparison with written bands, fixed before any run.

Each task has one headline (condition, metric), chosen in advance in :func:`headlines` and
shown with every other metric beside it. A :class:`Claim` compares a *subject* loss with a
*comparator* (or with every other loss) on a task's headline, and says what it expects
with an ``expectation`` and the bands that turn the paper's words into numbers:

=================  ==========================================  ==============================================
expectation        supported when the difference d lies in     contradicted when d lies in
=================  ==========================================  ==============================================
``better``         d > 0                                        d < band (worse, or no better than the band)
``worse``          d < 0                                        d > -band
``slightly_worse`` -bound < d < 0                               d > 0, or d < -bound (much worse)
``much_worse``     d < -bound                                   d > -bound
``equivalent``     -band < d < band                             d > band, or d < -band
``best``           d_k > bound for every other loss k           d_k < max(bound, band) for some k
``worst``          d_k < -bound for every other loss k          d_k > -max(bound, band) for some k
=================  ==========================================  ==============================================

``d`` is subject minus comparator, oriented so that positive means "subject better" (the
sign flips for metrics where lower is better). ``band`` is the region of practical
equivalence of the metric (:data:`PRACTICAL_BANDS`), ``bound`` the size that "slightly",
"much" or "substantial" stand for (:data:`SLIGHT`, :data:`MUCH`, :data:`SUBSTANTIAL`).
How each phrase of the paper maps onto these is written down in ``docs/paper.md``.
"""
from __future__ import annotations

from dataclasses import dataclass

from hemlab.tasks.presets import PRESETS
from hemlab.tasks.result import format_condition

EXPECTATIONS: tuple[str, ...] = ("better", "worse", "slightly_worse", "much_worse", "equivalent", "best", "worst")
EVERY_OTHER = "every other loss"

PRACTICAL_BANDS: dict[str, float] = {
    "accuracy": 0.01, "balanced_accuracy": 0.01, "average_accuracy": 0.01, "auroc": 0.02, "miou": 0.02,
    "epochs_to_target": 1.0,
}
"""Region of practical equivalence per metric: a difference smaller than this is of no
practical consequence (one point of accuracy; two points of AUROC or mIoU, whose estimates
are noisier; one epoch)."""
SLIGHT = 0.02
""""Slightly": a difference of at most two points (the paper's abstract calls CE's lead
"insignificant" (v1) or "small" (later))."""
MUCH = 0.05
""""Much poorer": a difference of at least five points."""
SUBSTANTIAL = 0.02
""""By a substantial margin": ahead of every other loss by more than two points (mIoU)."""
TIMING_BAND = 0.10
"""Claim 7: "about 10% less time"; a time ratio within 1 +- 0.10 is "about equal"."""


@dataclass(frozen=True)
class Headline:
    """A task's headline: the ``metric`` under ``condition``, and why it was chosen."""

    condition: str
    metric: str
    why: str


def headlines(preset: str) -> dict[str, Headline]:
    """The headline of each task for ``preset`` (only the adversarial eps depends on it)."""
    headline_eps = max(PRESETS[preset]["adversarial"].eps)
    return {
        "clean_corrupt": Headline("clean", "accuracy", "the paper's main classification number"),
        "ood": Headline("ood_set=near;score=maxlogit", "auroc",
                        "held-out classes are the unknown-class task proper; the max logit is the raw "
                        "evidence a margin loss trains, and needs no temperature (AUROC depends only on "
                        "how a score ranks the samples; MSP and the others are shown beside it)"),
        "adversarial": Headline(format_condition(eps=float(headline_eps), attack="worst_case"), "accuracy",
                                "worst case over FGSM and PGD with CE, margin and DLR losses at the largest eps"),
        "imbalanced": Headline("ratio=100", "balanced_accuracy", "the harder imbalance ratio, balanced test set"),
        "continual": Headline("protocol=replay", "average_accuracy",
                              "accuracy over all tasks after the last one, with experience replay (the "
                              "standard class-incremental baseline)"),
        "segmentation": Headline("clean", "miou", "the field's segmentation number"),
    }


@dataclass(frozen=True)
class Claim:
    """One checkable statement: ``subject`` is ``expectation`` relative to ``comparator`` on
    ``task``'s ``metric`` under ``condition`` (None: the headline).

    ``comparator`` is a loss label, or :data:`EVERY_OTHER` for ``best`` / ``worst`` (every
    other default loss on the task). ``band`` is the region of practical equivalence (None:
    the metric's :data:`PRACTICAL_BANDS` entry); ``bound`` the size of "slightly", "much" or
    "substantial" (0 where the words set none). ``tolerance`` is the old name of ``band``.
    """

    claim: str
    statement: str
    task: str
    subject: str
    comparator: str
    expectation: str
    condition: str | None = None
    metric: str | None = None
    band: float | None = None
    bound: float = 0.0
    tolerance: float | None = None

    def __post_init__(self) -> None:
        if self.expectation not in EXPECTATIONS:
            raise ValueError(f"expectation: expected one of {', '.join(EXPECTATIONS)}, got {self.expectation!r}")
        if self.band is None and self.tolerance is not None:
            object.__setattr__(self, "band", self.tolerance)
        if (self.expectation in ("best", "worst")) != (self.comparator == EVERY_OTHER):
            raise ValueError(f"comparator: {self.expectation!r} claims compare with {EVERY_OTHER!r} "
                             f"and only they do, got {self.comparator!r}")

    def practical_band(self, metric: str) -> float:
        """The band of practical equivalence for ``metric`` (the claim's own, if it has one)."""
        return self.band if self.band is not None else PRACTICAL_BANDS.get(metric, 0.0)


CLAIMS: tuple[Claim, ...] = (
    Claim("1", "Clean accuracy: CE slightly better than HEM", "clean_corrupt", "hem", "ce", "slightly_worse",
          bound=SLIGHT),
    Claim("1b", "Corrupted accuracy: CE slightly better than HEM", "clean_corrupt", "hem", "ce", "slightly_worse",
          condition="corrupted", metric="accuracy", bound=SLIGHT),
    Claim("2", "Unknown-class rejection: HEM better than CE", "ood", "hem", "ce", "better"),
    Claim("2b", "Unknown-class rejection: HEM about equal to LogitNorm", "ood", "hem", "logitnorm", "equivalent"),
    Claim("2c", "Unknown-class rejection: LogitNorm better than CE", "ood", "logitnorm", "ce", "better"),
    Claim("3", "Adversarial robustness: HEM better than CE", "adversarial", "hem", "ce", "better"),
    Claim("4", "Imbalanced data: HEM better than CE", "imbalanced", "hem", "ce", "better"),
    Claim("4b", "Imbalanced data: logit-adjusted best of all", "imbalanced", "la", EVERY_OTHER, "best"),
    Claim("4c", "Imbalanced data: HEM with class-frequency margins better than CE", "imbalanced",
          "hem:margins=frequency", "ce", "better"),
    Claim("5", "Continual learning: HEM best of all", "continual", "hem", EVERY_OTHER, "best"),
    Claim("5b", "Continual learning: LogitNorm much poorer than HEM", "continual", "logitnorm", "hem",
          "much_worse", bound=MUCH),
    Claim("6", "Segmentation: HEM best of all by a substantial margin", "segmentation", "hem", EVERY_OTHER, "best",
          bound=SUBSTANTIAL),
    Claim("6b", "Segmentation: Dice worst of all", "segmentation", "dice", EVERY_OTHER, "worst"),
    Claim("7b", "HEM reaches the target accuracy in fewer epochs than CE", "clean_corrupt", "hem", "ce", "better",
          condition="training", metric="epochs_to_target"),
)
"""The paper's claims (``docs/paper.md``), each with the comparison that checks it; 4c
reads claim 4 for the class-informed HEM (``hem:margins=frequency``), which the paper
distinguishes from plain HEM ("HEM-") on imbalanced data. They form one family: the verdicts are Holm-adjusted over it. Claim 7 (wall-clock time) is
judged apart, from a controlled timing measurement (:mod:`hemlab.stats.timing`)."""

TIMING_CLAIM = Claim("7", "HEM trains faster than CE (about 10% less time)", "clean_corrupt", "hem", "ce", "better",
                     condition="training", metric="time_ratio", band=TIMING_BAND)
"""Claim 7, judged from :func:`hemlab.stats.timing.measure_training_time`, never from sweep wall times."""

__all__ = ["CLAIMS", "Claim", "EVERY_OTHER", "EXPECTATIONS", "Headline", "MUCH", "PRACTICAL_BANDS", "SLIGHT",
           "SUBSTANTIAL", "TIMING_BAND", "TIMING_CLAIM", "headlines"]
