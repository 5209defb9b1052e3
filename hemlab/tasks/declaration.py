"""How a task is declared: its :class:`TaskInfo` (runner, output, description), its
:class:`Headline` and the paper's :class:`Claim` s on it, written beside its runner and
registered there (:func:`register_task`), so one task is defined in one module::

    register_task(TaskInfo("ood", "unknown-class rejection", "HEM about equal to LogitNorm, ...",
                           run_ood, headline=Headline("ood_set=near;score=maxlogit", "auroc", "why ..."),
                           claims=(Claim("2", "Unknown-class rejection: HEM better than CE", "ood", "hem", "ce",
                                         "better"), ...)))

Each task has one headline (condition, metric), chosen in advance and shown with every
other metric beside it. A :class:`Claim` compares a *subject* loss with a
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

Nothing here runs or judges anything: :mod:`hemlab.tasks.registry` collects the declared tasks
in the paper's order, :mod:`hemlab.stats` judges their claims.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Union

from hemlab.tasks.names import TASK_NAMES, TASK_OUTPUTS

if TYPE_CHECKING:  # types of the runner's signature only: a runner module imports this one
    from hemlab.tasks.fit import RunContext
    from hemlab.tasks.result import RunResult
    from hemlab.tasks.settings import TaskSettings
    from hemlab.tasks.spec import RunSpec

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


CLASS_FREQUENCY_HEM = "hem:margins=frequency"
"""HEM with per-class margins from the training class counts (the paper's class-informed
HEM, beside the plain "HEM-"): the sweep runs it where the classes are imbalanced."""

HeadlineRule = Union[Headline, Callable[["TaskSettings"], Headline]]


@dataclass(frozen=True)
class TaskInfo:
    """A task: its ``name``, what it measures (``description``), the paper ``claim`` it tests in
    words, and its ``runner(spec, context)``. ``output``: the model output it trains
    (``"classification"`` or ``"segmentation"``; :data:`~hemlab.tasks.names.TASK_OUTPUTS`).
    ``headline``: the task's headline, or a function of the preset's settings giving it (the
    adversarial eps depends on the preset). ``claims``: the paper's claims on the task.
    ``with_hem``: loss specs a sweep that runs HEM also runs on this task (the class-frequency
    HEM where training classes are imbalanced); not part of any run's identity.
    ``whole_dataset``: the runner trains one model on the whole dataset
    (:func:`~hemlab.tasks.fit.fit_on_dataset`), so runs of such tasks with equal
    training identities train the same model and share it."""

    name: str
    description: str
    claim: str
    runner: Callable[["RunSpec", "RunContext"], "RunResult"]
    headline: HeadlineRule
    claims: tuple[Claim, ...] = ()
    with_hem: tuple[str, ...] = ()
    whole_dataset: bool = False

    def __post_init__(self) -> None:
        if self.name not in TASK_NAMES:
            raise ValueError(f"name: expected one of {', '.join(TASK_NAMES)} (hemlab.tasks.names), got {self.name!r}")
        wrong = [claim.claim for claim in self.claims if claim.task != self.name]
        if wrong:
            raise ValueError(f"claims: expected claims on task {self.name}, got claims {wrong} of other tasks")

    @property
    def output(self) -> str:
        return TASK_OUTPUTS[self.name]

    def headline_for(self, settings: "TaskSettings") -> Headline:
        """The task's headline under ``settings`` (a preset's row)."""
        return self.headline(settings) if callable(self.headline) else self.headline


DECLARED: dict[str, TaskInfo] = {}
"""Every task declared so far, by name, in the order their modules were imported (the registry
orders them as :data:`~hemlab.tasks.names.TASK_NAMES`)."""


def register_task(info: TaskInfo) -> TaskInfo:
    """Declare ``info``'s task (called once, at the bottom of its runner's module); ``ValueError``
    for a name declared twice."""
    if info.name in DECLARED and DECLARED[info.name] is not info:
        raise ValueError(f"task: {info.name!r} is declared twice")
    DECLARED[info.name] = info
    return info


__all__ = ["CLASS_FREQUENCY_HEM", "DECLARED", "EVERY_OTHER", "EXPECTATIONS", "MUCH", "PRACTICAL_BANDS", "SLIGHT",
           "SUBSTANTIAL", "TIMING_BAND", "Claim", "Headline", "TaskInfo", "register_task"]
