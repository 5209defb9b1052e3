"""The losses: HEM and the losses it is compared with, for classification and segmentation.

Every loss takes logits ``(N, C)`` with targets ``(N,)``, or dense logits ``(N, C, d1, ...)``
with targets ``(N, d1, ...)``; positions whose target is ``ignore_index`` take no part.
Each has a functional form (``hem_loss``) and an ``nn.Module`` twin (``HEMLoss``), and a
record in :data:`LOSSES` that the factory, the notebooks and the tests read.

>>> from hemlab import losses
>>> criterion = losses.create_loss("hem", margin=0.5)
>>> losses.available_losses()
['ce', 'mm', 'hem', 'logitnorm', 'la', 'dice', 'focal']
"""
from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from hemlab.losses._base import LossInfo
from hemlab.losses.cross_entropy import CrossEntropyLoss, cross_entropy_loss
from hemlab.losses.dice import DiceLoss, dice_loss
from hemlab.losses.focal import FocalLoss, focal_loss
from hemlab.losses.hem import HEMLoss, class_frequency_margins, hem_loss
from hemlab.losses.logit_adjusted import LogitAdjustedLoss, logit_adjusted_loss
from hemlab.losses.logitnorm import LogitNormLoss, logitnorm_loss
from hemlab.losses.multi_margin import MultiMarginLoss, multi_margin_loss

ALL_TASKS = ("classification", "ood", "adversarial", "imbalanced", "continual", "segmentation")

LOSSES: dict[str, LossInfo] = {
    info.name: info
    for info in (
        LossInfo(
            name="ce",
            title="Cross-entropy",
            description="-log softmax(z)_y; the standard baseline.",
            function=cross_entropy_loss,
            module=CrossEntropyLoss,
            tasks=ALL_TASKS,
            reference="",
        ),
        LossInfo(
            name="mm",
            title="Multi-class margin",
            description="Mean over positions x classes of max(0, z_j - z_y + mu)^p; the hinge HEM modifies.",
            function=multi_margin_loss,
            module=MultiMarginLoss,
            tasks=ALL_TASKS,
            reference="Crammer & Singer, JMLR 2001; torch.nn.functional.multi_margin_loss",
            defaults={"margin": 1.0, "p": 1},
        ),
        LossInfo(
            name="hem",
            title="HEM (high error margin)",
            description="Mean of the above-average hinge errors, averaged over positions still in error.",
            function=hem_loss,
            module=HEMLoss,
            tasks=ALL_TASKS,
            reference="Spratling & Schuett, arXiv 2501.12191",
            defaults={"margin": 1.0},
        ),
        LossInfo(
            name="logitnorm",
            title="LogitNorm",
            description="Cross-entropy on z / (tau * ||z||); curbs over-confidence.",
            function=logitnorm_loss,
            module=LogitNormLoss,
            tasks=ALL_TASKS,
            reference="Wei et al., ICML 2022",
            defaults={"tau": 0.04},
        ),
        LossInfo(
            name="la",
            title="Logit-adjusted",
            description="Cross-entropy on z + tau * log(class prior); for long-tailed data.",
            function=logit_adjusted_loss,
            module=LogitAdjustedLoss,
            tasks=ALL_TASKS,
            reference="Menon et al., ICLR 2021",
            defaults={"tau": 1.0},
            required=("class_counts",),
        ),
        LossInfo(
            name="dice",
            title="Soft Dice",
            description="1 - mean over classes of the soft Dice overlap; a segmentation loss.",
            function=dice_loss,
            module=DiceLoss,
            tasks=("segmentation",),
            reference="Milletari et al., 3DV 2016",
            defaults={"smooth": 1.0},
        ),
        LossInfo(
            name="focal",
            title="Focal",
            description="-(1 - p_y)^gamma log p_y; down-weights easy positions.",
            function=focal_loss,
            module=FocalLoss,
            tasks=ALL_TASKS,
            reference="Lin et al., ICCV 2017",
            defaults={"gamma": 2.0},
        ),
    )
}


def available_losses(task: str | None = None) -> list[str]:
    """Names accepted by :func:`create_loss`, optionally only those supporting ``task``."""
    if task is not None and not any(task in info.tasks for info in LOSSES.values()):
        tasks = sorted({t for info in LOSSES.values() for t in info.tasks})
        raise ValueError(f"task: expected one of {tasks}, got {task!r}")
    return [name for name, info in LOSSES.items() if task is None or task in info.tasks]


def loss_info(name: str) -> LossInfo:
    """The record of loss ``name``; ``ValueError`` listing the known names otherwise."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"name: unknown loss {name!r}; expected one of {list(LOSSES)}") from None


def accepted_arguments(name: str) -> list[str]:
    """The keyword arguments loss ``name``'s module accepts."""
    parameters = inspect.signature(loss_info(name).module.__init__).parameters
    return [key for key in parameters if key != "self"]


def create_loss(name: str, **kwargs: Any) -> nn.Module:
    """Build the ``nn.Module`` of loss ``name`` (``ce mm hem logitnorm la dice focal``).

    Unknown names and keywords the loss does not take raise errors that list what is
    allowed; e.g. ``create_loss("la")`` without ``class_counts`` says that it is required.
    """
    info = loss_info(name)
    allowed = accepted_arguments(name)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"create_loss({name!r}): unexpected argument(s) {unknown}; {name!r} accepts {allowed}")
    missing = [key for key in info.required if key not in kwargs]
    if missing:
        raise TypeError(f"create_loss({name!r}): missing required argument(s) {missing}; {name!r} accepts {allowed}")
    return info.module(**kwargs)


__all__ = [
    "LOSSES",
    "LossInfo",
    "accepted_arguments",
    "available_losses",
    "class_frequency_margins",
    "create_loss",
    "loss_info",
    "cross_entropy_loss",
    "CrossEntropyLoss",
    "multi_margin_loss",
    "MultiMarginLoss",
    "hem_loss",
    "HEMLoss",
    "logitnorm_loss",
    "LogitNormLoss",
    "logit_adjusted_loss",
    "LogitAdjustedLoss",
    "dice_loss",
    "DiceLoss",
    "focal_loss",
    "FocalLoss",
]
