"""HEM, the high error margin loss (Spratling & Schuett, arXiv 2501.12191).

Per position (a sample, or a pixel of a dense prediction) with logits ``z`` over ``C``
classes, true class ``y`` and margin ``mu``:

    e_j = max(0, z_j - z_y + mu)  for j != y,   e_y = 0               (hinge errors)
    t   = (1/C) sum_j e_j                      (threshold, no gradient)
    K   = {j : e_j >= t, e_j > 0}              (the high errors kept)
    L   = sum_{j in K} e_j / (eps + |K|)       (mean kept error; 0 once every rival is
                                                beaten by the margin)

and over the batch ``loss = sum_i L_i / (eps + |S|)`` with ``S = {i : L_i > 0}`` the
positions that still carry error, ``eps = 1e-6``. Counts carry no gradient.

Gradient (what makes HEM different from the multi-class margin loss): for ``i`` in ``S``,
``dloss/dz_ij = 1 / ((eps + |K_i|)(eps + |S|))`` for ``j`` in ``K_i`` and
``dloss/dz_iy = -|K_i| / ((eps + |K_i|)(eps + |S|)) ~= -1/|S|``, whatever ``C`` and however
many positions are already solved; a position outside ``S`` gets exactly zero gradient.

The forward and this analytic backward run in a custom autograd Function: about half the
passes over the logits of a composition of torch ops, and at most two working tensors of
the logits' size alive at once (``benchmarks/loss_speed.py`` measures both). The forward
forms the gradient ``W`` itself, so the backward is a single product.

Margin: the authors' reference code defaults to ``mu = 1``. A per-class tensor is also
accepted (each position uses the margin of its true class); :func:`class_frequency_margins`
builds the class-frequency margins of the "HEM+" variant described by third-party copies,
which the paper text could not confirm.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any

import torch
from torch import Tensor

from hemlab.losses._base import (
    LossModule,
    check_inputs,
    check_reduction,
    check_class_counts,
    check_option,
    compute_dtype,
    in_dtype_of,
    safe_target,
    valid_positions,
)
from hemlab.checks import Interval, Options
from hemlab.losses._margin import check_margin, margin_module_state, position_margin
from hemlab.sentinels import IGNORE_INDEX

EPS = 1e-6
NAME = "hem_loss"


def _class_sum(values: Tensor, ones: Tensor) -> Tensor:
    """Sum over the class dim 1: ``(N, C, d1, ...) -> (N, d1, ...)``; ``ones`` is ``(C,)``.

    For 2-D input a matrix-vector product with ones, several times faster than a
    reduction over short rows on CPU.
    """
    return values @ ones if values.ndim == 2 else values.sum(dim=1)


def _class_mean_plus(values: Tensor, ones: Tensor, offset: float) -> Tensor:
    """``offset + mean over the class dim 1`` (one ``addmv`` for 2-D input)."""
    if values.ndim == 2:
        return torch.addmv(values.new_full(values.shape[:1], offset), values, ones, alpha=1.0 / values.shape[1])
    return values.mean(dim=1).add_(offset)


class _HEMFunction(torch.autograd.Function):
    """Value and analytic gradient of HEM; class dim 1, any number of trailing dims.

    The forward also builds the gradient of the loss with respect to the logits (``W``,
    shaped like them), so the backward is one product with the incoming gradient. Every
    step is one torch call: on small inputs each call costs about as much as a pass.
    """

    @staticmethod
    def forward(ctx: Any, logits: Tensor, target: Tensor, margin: float | Tensor, valid: Tensor | None,
                reduction: str) -> Tensor:
        index = target.unsqueeze(1)
        num_classes = logits.shape[1]
        ones = logits.new_ones(num_classes)
        # s = z_y - mu per position, shaped (N, 1, d1, ...); e_j = max(0, z_j - s), e_y = 0.
        shift = logits.gather(1, index).sub_(position_margin(margin, target, logits.dtype))
        errors = torch.sub(logits, shift).clamp_min_(0.0).scatter_(1, index, 0.0)
        # Threshold t = mean_j e_j plus the smallest normal number, so that ``e_j >= t`` also
        # demands e_j > 0 (a position without error keeps nothing).
        threshold = _class_mean_plus(errors, ones, torch.finfo(logits.dtype).tiny)
        if valid is not None:
            # An ignored position keeps nothing either: ``>=`` a NaN is false.
            threshold.masked_fill_(~valid, math.nan)
        # The kept mask as 0/1 floats, written directly (no bool tensor to convert later).
        kept = torch.ge(errors, threshold.unsqueeze(1), out=torch.empty_like(errors))
        kept_count = _class_sum(kept, ones)
        weight = kept_count.add(EPS).reciprocal_()
        if reduction == "mean":
            # A position is in error (in S) exactly when it keeps a class.
            weight.div_(kept_count.sign().sum().add_(EPS))
        # L_i = sum_K e_j / (eps + |K|), times 1 / (eps + |S|) for the mean.
        per_position = _class_sum(errors.mul_(kept), ones).mul_(weight)
        # d loss / d z_ij = g * weight_i for kept j;  d loss / d z_iy = -g * |K_i| * weight_i.
        gradient = kept.scatter_(1, index, kept_count.neg_().unsqueeze(1)).mul_(weight.unsqueeze(1))
        ctx.save_for_backward(gradient)
        ctx.per_position_gradient = reduction == "none"
        return per_position if reduction == "none" else per_position.sum()

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor):
        (gradient,) = ctx.saved_tensors
        # grad_output has the target's shape for reduction="none", else it is a scalar.
        scale = grad_output.unsqueeze(1) if ctx.per_position_gradient else grad_output
        return gradient * scale, None, None, None, None


def hem_loss(
    logits: Tensor,
    target: Tensor,
    margin: float | Tensor = 1.0,
    *,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
) -> Tensor:
    """HEM loss of ``logits`` ``(N, C)`` or ``(N, C, d1, ...)`` for integer ``target`` ``(N,)`` or ``(N, d1, ...)``.

    Per position, with true class ``y`` and margin ``mu``::

        e_j = max(0, z_j - z_y + mu)  (j != y),  e_y = 0     hinge errors
        t   = (1/C) sum_j e_j                              threshold (no gradient)
        K   = {j : e_j >= t, e_j > 0}                      the high errors kept
        L   = sum_{j in K} e_j / (1e-6 + |K|)

    and ``loss = sum_i L_i / (1e-6 + |S|)`` over the positions ``S = {i : L_i > 0}`` still in
    error (Spratling & Schuett, arXiv 2501.12191; the module docstring has the gradient).

    Args:
        margin: ``mu >= 0``, a float or a 1-D tensor of length ``C`` (each position uses
            the margin of its true class).
        ignore_index: positions with this target take no part at all.
        reduction: ``"mean"`` - the published mean, over positions that still carry
            error (``sum_i L_i / (1e-6 + |S|)``); ``"sum"`` - ``sum_i L_i``; ``"none"`` -
            ``L_i`` shaped like ``target`` (0 where ignored).

    Half-precision logits are computed in float32. Returns a tensor in ``logits.dtype``.
    """
    check_inputs(logits, target, NAME)
    check_reduction(reduction, NAME)
    num_classes = logits.shape[1]
    margin = check_margin(margin, num_classes, logits, NAME)
    valid = valid_positions(target, num_classes, ignore_index, NAME)
    loss = _HEMFunction.apply(compute_dtype(logits), safe_target(target, valid), margin, valid, reduction)
    return in_dtype_of(loss, logits)


def class_frequency_margins(class_counts: Tensor | list[int], scale: float = 2000.0) -> Tensor:
    """Per-class margins of the "HEM+" variant: ``mu_c = sqrt(scale / (C * n_c))``.

    ``n_c`` is the number of training samples of class ``c`` and ``scale`` is ``M = 2000``.
    For balanced CIFAR-10 (5000 per class) this gives 0.2. **Unconfirmed**: this rule comes
    from third-party copies of the authors' code; the paper text could not be read to
    confirm that its tables used it. Pass the result as ``margin=`` to :func:`hem_loss`.

    Returns a float32 tensor of shape ``(C,)``.
    """
    counts = check_class_counts(class_counts, "class_frequency_margins")
    check_option(scale, "scale", "class_frequency_margins", Interval(Real, 0, None, closed="neither"))
    return torch.sqrt(scale / (counts.numel() * counts))


MARGIN_RULES: tuple[str, ...] = ("fixed", "frequency")
"""How :class:`HEMLoss` sets its margins: ``"fixed"`` (``margin`` for every class) or
``"frequency"`` (:func:`class_frequency_margins` of the training class counts)."""
FREQUENCY_SCALE = 2000.0
"""``M`` of the class-frequency margins ``mu_c = sqrt(M / (C n_c))``."""


class HEMLoss(LossModule):
    """Module twin of :func:`hem_loss`; a per-class ``margin`` tensor is kept as a buffer.

    ``margins="frequency"`` (the class-informed "HEM+" of :func:`class_frequency_margins`)
    sets the per-class margins from ``class_counts`` ``(C,)`` (training samples per class,
    all > 0) and ``scale``, in place of ``margin``; ``"fixed"`` (default) uses ``margin``
    and takes no counts. In hemlab's tasks the loss spec ``hem:margins=frequency`` gets the
    counts of the training data, as the logit-adjusted loss does.
    """

    loss_function = staticmethod(hem_loss)
    arguments = ("margin",)

    def __init__(self, margin: float | Tensor = 1.0, *, margins: str = "fixed",
                 class_counts: Tensor | list[int] | None = None, scale: float = FREQUENCY_SCALE,
                 ignore_index: int = IGNORE_INDEX, reduction: str = "mean") -> None:
        super().__init__(ignore_index=ignore_index, reduction=reduction)
        check_option(margins, "margins", NAME, Options(*MARGIN_RULES))
        if margins == "fixed" and class_counts is not None:
            raise ValueError(f"{NAME}: class_counts are used only with margins='frequency'; got them with margins='fixed'")
        if margins == "fixed" and scale != FREQUENCY_SCALE:
            raise ValueError(f"{NAME}: scale is used only with margins='frequency'; got scale={scale!r} with 'fixed'")
        if margins == "frequency":
            if class_counts is None:
                raise ValueError(f"{NAME}: margins='frequency' needs class_counts (training samples per class)")
            if isinstance(margin, Tensor) or margin != 1.0:
                raise ValueError(f"{NAME}: margins='frequency' sets the margins from the class counts; "
                                 f"leave margin at its default, got margin={margin!r}")
            class_counts = torch.as_tensor(class_counts, dtype=torch.float32)
            margin = class_frequency_margins(class_counts, scale)
        self._margins, self._scale = margins, scale
        if class_counts is not None:
            self.register_buffer("frequency_counts", class_counts)
        margin_module_state(self, margin, NAME)

    # Read-only views of the construction options: the margins in force are ``margin``, and a
    # frequency loss's counts are a buffer, so its state (and a checkpoint's identity) holds them.
    @property
    def margins(self) -> str:
        return self._margins

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def class_counts(self) -> Tensor | None:
        return self._buffers.get("frequency_counts")

    @staticmethod
    def uses_class_counts(options: dict[str, Any]) -> bool:
        """Whether a loss built with ``options`` takes the training ``class_counts``."""
        return options.get("margins") == "frequency"
