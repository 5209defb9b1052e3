"""The losses: HEM and the losses it is compared with, for classification and segmentation.

Every loss takes logits ``(N, C)`` with targets ``(N,)``, or dense logits ``(N, C, d1, ...)``
with targets ``(N, d1, ...)``; positions whose target is ``ignore_index`` take no part.
Each has a functional form (``hem_loss``) and an ``nn.Module`` twin (``HEMLoss``), and a
record in :data:`LOSSES` (:class:`LossInfo`: name, description, builder, title, function,
outputs, reference) that the factory, the notebooks and the tests read; the defaults come
from the module's signature (:func:`loss_defaults`).

Your own loss joins them with :func:`register_loss` (see :mod:`hemlab.losses.registration`), and
installed plug-ins (entry point group ``hemlab.losses``) are found on first look-up
(:mod:`hemlab.plugins`). The seven built-in names cannot be replaced.

>>> from hemlab import losses
>>> criterion = losses.create_loss("hem", margin=0.5)
>>> losses.available_losses()
['ce', 'mm', 'hem', 'logitnorm', 'la', 'dice', 'focal']
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from torch import Tensor, nn

from hemlab.losses._base import OUTPUTS, LossInfo
from hemlab.losses.cross_entropy import CrossEntropyLoss, cross_entropy_loss
from hemlab.losses.dice import DiceLoss, dice_loss
from hemlab.losses.focal import FocalLoss, focal_loss
from hemlab.losses.hem import HEMLoss, class_frequency_margins, hem_loss
from hemlab.losses.logit_adjusted import LogitAdjustedLoss, logit_adjusted_loss
from hemlab.losses.logitnorm import LogitNormLoss, logitnorm_loss
from hemlab.losses.multi_margin import MultiMarginLoss, multi_margin_loss
from hemlab.losses.registration import make_loss_info
from hemlab.plugins import ENTRY_POINT_GROUP, PluginError, discover_entry_points, load_plugins
from hemlab.registry import Registry

BOTH = ("classification", "segmentation")

LOSSES: Registry[LossInfo] = Registry("loss", (
    LossInfo(
        name="ce",
        title="Cross-entropy",
        description="-log softmax(z)_y; the standard baseline.",
        builder=CrossEntropyLoss,
        function=cross_entropy_loss,
        outputs=BOTH,
        reference="",
    ),
    LossInfo(
        name="mm",
        title="Multi-class margin",
        description="Mean over positions x classes of max(0, z_j - z_y + mu)^p, summed over rivals; "
                    "the hinge HEM modifies.",
        builder=MultiMarginLoss,
        function=multi_margin_loss,
        outputs=BOTH,
        reference="Weston & Watkins, ESANN 1999; torch.nn.functional.multi_margin_loss",
    ),
    LossInfo(
        name="hem",
        title="HEM (high error margin)",
        description="Mean of the above-average hinge errors, averaged over positions still in error.",
        builder=HEMLoss,
        function=hem_loss,
        outputs=BOTH,
        reference="Spratling & Schuett, arXiv 2501.12191",
    ),
    LossInfo(
        name="logitnorm",
        title="LogitNorm",
        description="Cross-entropy on z / (tau * ||z||); curbs over-confidence.",
        builder=LogitNormLoss,
        function=logitnorm_loss,
        outputs=BOTH,
        reference="Wei et al., ICML 2022",
    ),
    LossInfo(
        name="la",
        title="Logit-adjusted",
        description="Cross-entropy on z + tau * log(class prior); for long-tailed data.",
        builder=LogitAdjustedLoss,
        function=logit_adjusted_loss,
        outputs=BOTH,
        reference="Menon et al., ICLR 2021",
    ),
    LossInfo(
        name="dice",
        title="Soft Dice",
        description="1 - mean over classes of the soft Dice overlap; a segmentation loss.",
        builder=DiceLoss,
        function=dice_loss,
        outputs=("segmentation",),
        reference="Milletari et al., 3DV 2016",
    ),
    LossInfo(
        name="focal",
        title="Focal",
        description="-(1 - p_y)^gamma log p_y; down-weights easy positions.",
        builder=FocalLoss,
        function=focal_loss,
        outputs=BOTH,
        reference="Lin et al., ICCV 2017",
    ),
))


def register_loss(name: str, function: Callable[..., Tensor] | None = None, *, description: str,
                  outputs: tuple[str, ...] | list[str] | None = None, reference: str = "", title: str | None = None,
                  replace: bool = False):
    """Register ``function(logits, target, **options) -> loss`` as loss ``name``; returns ``function``.

    Without ``function`` it is a decorator::

        @register_loss("sqhinge", description="HEM with squared hinge errors")
        def squared_hinge(logits, target, margin: float = 1.0): ...

    ``outputs``: the model outputs it supports; not given, hemlab finds out (it builds the
    loss with its defaults on a tiny input of each: one that fails on dense logits is
    classification-only, and ``hemlab losses`` says why); ``reference``: where it comes
    from; ``title``: its long name (default ``name``). The function's keyword parameters are
    its options; :mod:`hemlab.losses.registration` says how ``ignore_index`` and ``reduction`` are
    handled. A built-in name is refused; registering a name twice needs ``replace=True``.
    """
    def register(target: Callable[..., Tensor]) -> Callable[..., Tensor]:
        info = make_loss_info(name, target, description=description, outputs=outputs, reference=reference,
                              title=title)
        LOSSES.add(info, replace=replace)
        return target

    return register if function is None else register(function)


def available_losses(output: str | None = None) -> list[str]:
    """Names accepted by :func:`create_loss` (built-in first, then registered ones in the
    order registered); with ``output`` (``"classification"`` or ``"segmentation"``) only
    the losses that support that model output."""
    if output is not None and output not in OUTPUTS:
        raise ValueError(f"output: expected one of {list(OUTPUTS)}, got {output!r}")
    discover_entry_points()
    return [name for name, info in LOSSES.items() if output is None or output in info.outputs]


def loss_info(name: str) -> LossInfo:
    """The record of loss ``name``; ``ValueError`` listing the known names otherwise."""
    if name not in LOSSES:
        discover_entry_points()
    return LOSSES.record(name)


def loss_defaults(name: str) -> dict[str, Any]:
    """``{option: default}`` of loss ``name``, read from its module's signature,
    e.g. ``loss_defaults("hem") == {"margin": 1.0, "ignore_index": -100, "reduction": "mean"}``."""
    return LOSSES.defaults(name)


def accepted_arguments(name: str) -> list[str]:
    """The keyword arguments loss ``name``'s module accepts, in signature order."""
    return loss_info(name).options


def uses_class_counts(name: str, options: Mapping[str, Any] | None = None) -> bool:
    """Whether loss ``name`` built with ``options`` takes the training ``class_counts``
    (:meth:`LossInfo.takes_class_counts`): ``la`` always, ``hem`` with ``margins="frequency"``."""
    return loss_info(name).takes_class_counts(options)


def create_loss(name: str, **options: Any) -> nn.Module:
    """Build the ``nn.Module`` of loss ``name`` (``ce mm hem logitnorm la dice focal`` or a registered one).

    An unknown name, an option the loss does not take, or a missing required option
    (``create_loss("la")`` without ``class_counts``) raises ``ValueError`` listing what is
    allowed; bad option values fail in the module's constructor, before any training.
    """
    loss_info(name)
    return LOSSES.check(name, options).builder(**options)


__all__ = [
    "ENTRY_POINT_GROUP",
    "LOSSES",
    "PluginError",
    "LossInfo",
    "OUTPUTS",
    "accepted_arguments",
    "available_losses",
    "class_frequency_margins",
    "create_loss",
    "uses_class_counts",
    "discover_entry_points",
    "load_plugins",
    "register_loss",
    "loss_defaults",
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
