"""White-box L-inf attacks (FGSM, PGD) with a choice of attack loss, and worst-case robust accuracy.

A model can look robust against a cross-entropy attack only because the CE loss of its logits is
a poor guide to its decision boundary (gradient masking). In hemlab's quick runs it shows for
models with small logits, such as HEM at a small margin, whose accuracy under the CE attack is
well above their accuracy under the margin and DLR attacks. Attack every model with the CW
margin and DLR losses too and count a sample as robust only if it survives every attack
(:func:`worst_case`, :func:`robust_accuracy`).

References of the attacks and their losses:

- Goodfellow et al. 2015, "Explaining and harnessing adversarial examples" (FGSM);
- Madry et al. 2018, "Towards deep learning models resistant to adversarial attacks" (PGD,
  step size ``2.5 * eps / steps``);
- Carlini & Wagner 2017 (margin loss);
- Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of diverse
  parameter-free attacks" (DLR loss, worst case over attacks).

Attacks take classification models: ``model(x)`` returns logits ``(N, C)``; ``x`` is ``(N, ...)``
(e.g. images ``(N, channels, H, W)`` in ``[0, 1]``), ``y`` integer classes ``(N,)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from functools import partial
from typing import Callable, Iterable, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from hemlab.checks import POSITIVE_INTEGER, Interval, Options, check
from hemlab.inference import Batches, eval_mode, model_device, uses_channels_last
from hemlab.metrics.margins import classification_margins

ATTACK_LOSSES = ("ce", "margin", "dlr")

AttackFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
"""An attack: ``attack(model, x, y) -> x_adv`` with ``x_adv`` shaped like ``x``."""

Clamp = Optional[Tuple[float, float]]

_DLR_EPSILON = 1e-12


def attack_loss(logits: torch.Tensor, targets: torch.Tensor, loss: str = "ce") -> torch.Tensor:
    """Per-sample objective an untargeted attack *maximises*.

    With logits ``z`` ``(N, C)``, true class ``y`` and ``z_pi1 >= z_pi2 >= z_pi3`` the sorted logits:

    - ``"ce"``: cross-entropy, ``-log softmax(z)_y``;
    - ``"margin"``: Carlini-Wagner margin, ``max_{j != y} z_j - z_y`` (positive = misclassified);
    - ``"dlr"``: difference of logits ratio (Croce & Hein 2020),
      ``-(z_y - max_{j != y} z_j) / (z_pi1 - z_pi3 + 1e-12)``; invariant to shifting and scaling
      the logits, needs ``C >= 3``.

    Returns:
        ``(N,)`` tensor, differentiable with respect to ``logits``.
    """
    if loss not in ATTACK_LOSSES:
        raise ValueError(f"loss: expected one of {', '.join(ATTACK_LOSSES)}, got {loss!r}")
    if logits.ndim != 2:
        raise ValueError(f"logits: attacks expect classification logits (N, C), got shape {tuple(logits.shape)}")
    if loss == "ce":
        return F.cross_entropy(logits, targets, reduction="none")
    margins = classification_margins(logits, targets)
    if loss == "margin":
        return -margins
    if logits.shape[1] < 3:
        raise ValueError(f"loss: 'dlr' needs at least 3 classes, the model gives C = {logits.shape[1]}; use 'margin'")
    top = logits.topk(3, dim=1).values
    return -margins / (top[:, 0] - top[:, 2] + _DLR_EPSILON)


def _clamp(x: torch.Tensor, clamp: Clamp) -> torch.Tensor:
    return x if clamp is None else x.clamp(min=clamp[0], max=clamp[1])


def _check_inputs(x: torch.Tensor, y: torch.Tensor, eps: float, steps: int, loss: str, clamp: Clamp) -> None:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x: expected a floating-point tensor, got {getattr(x, 'dtype', type(x).__name__)}")
    if x.ndim < 1:
        raise ValueError("x: expected a batch (N, ...), got a scalar")
    if not isinstance(y, torch.Tensor) or y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"y: expected integer class indices, got {getattr(y, 'dtype', type(y).__name__)}")
    if y.shape != x.shape[:1]:
        raise ValueError(f"y: expected shape ({x.shape[0]},) to match x's batch, got {tuple(y.shape)}")
    check("eps", eps, Interval(Real, 0, None))
    check("steps", steps, POSITIVE_INTEGER)
    check("loss", loss, Options(*ATTACK_LOSSES))
    if clamp is not None and not (len(clamp) == 2 and clamp[0] < clamp[1]):
        raise ValueError(f"clamp: expected None or (low, high) with low < high, got {clamp!r}")


def pgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    *,
    alpha: float | None = None,
    steps: int = 10,
    loss: str = "ce",
    random_start: bool = True,
    clamp: Clamp = (0.0, 1.0),
) -> torch.Tensor:
    """Projected gradient descent in the L-inf ball (Madry et al. 2018), untargeted.

    Starting from ``x_0 = x`` (or ``x + U(-eps, eps)`` clipped to ``clamp`` with ``random_start``),
    each step ascends the summed :func:`attack_loss` ``L`` and projects back:

        x_{k+1} = clip_clamp( x + clip_[-eps, eps]( x_k + alpha * sign(grad_x L(x_k)) - x ) )

    Args:
        model: classifier returning logits ``(N, C)``; put in eval mode during the attack, every
            submodule's previous mode restored afterwards (also on error). Its parameters' ``.grad``
            are left untouched.
        x: inputs ``(N, ...)``; not modified.
        y: true classes ``(N,)``.
        eps: L-inf radius, ``>= 0``; ``eps = 0`` returns a copy of ``x``.
        alpha: step size; default ``2.5 * eps / steps``.
        steps: number of steps, ``>= 1``.
        loss: attack objective, ``"ce"``, ``"margin"`` or ``"dlr"`` (see :func:`attack_loss`).
        random_start: start from a uniform random point of the ball (uses torch's global RNG).
        clamp: valid input range ``(low, high)``, or ``None`` for no range.

    Returns:
        Adversarial inputs shaped like ``x`` (detached), with ``|x_adv - x| <= eps`` everywhere.
    """
    eps = float(eps)
    _check_inputs(x, y, eps, steps, loss, clamp)
    original = x.detach()
    if eps == 0:
        return original.clone()
    alpha = 2.5 * eps / steps if alpha is None else float(alpha)
    if not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha: expected a finite step size > 0, got {alpha!r}")
    adversarial = original.clone()
    if random_start:
        adversarial = _clamp(adversarial + torch.empty_like(adversarial).uniform_(-eps, eps), clamp)
    with eval_mode(model), torch.enable_grad():
        for _ in range(steps):
            adversarial.requires_grad_(True)
            objective = attack_loss(model(adversarial), y, loss).sum()
            (gradient,) = torch.autograd.grad(objective, adversarial)
            adversarial = adversarial.detach() + alpha * gradient.sign()
            delta = torch.clamp(adversarial - original, min=-eps, max=eps)
            adversarial = _clamp(original + delta, clamp).detach()
    return adversarial


def fgsm(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    *,
    loss: str = "ce",
    clamp: Clamp = (0.0, 1.0),
) -> torch.Tensor:
    """Fast gradient sign method (Goodfellow et al. 2015): ``x_adv = clip_clamp(x + eps * sign(grad_x L(x)))``.

    The same as one :func:`pgd` step of size ``eps`` without random start; arguments as there.
    """
    return pgd(model, x, y, eps, alpha=eps, steps=1, loss=loss, random_start=False, clamp=clamp)


def standard_attacks(
    eps: float,
    *,
    steps: int = 10,
    alpha: float | None = None,
    losses: Sequence[str] = ATTACK_LOSSES,
    random_start: bool = True,
    clamp: Clamp = (0.0, 1.0),
) -> dict[str, AttackFn]:
    """The usual suite for :func:`worst_case`: FGSM (CE) plus one PGD per attack loss.

    Returns:
        ``{"fgsm": ..., "pgd-ce": ..., "pgd-margin": ..., "pgd-dlr": ...}`` (one ``"pgd-<loss>"`` per
        entry of ``losses``; drop ``"dlr"`` for models with fewer than 3 classes).
    """
    for loss in losses:
        if loss not in ATTACK_LOSSES:
            raise ValueError(f"losses: expected entries from {', '.join(ATTACK_LOSSES)}, got {loss!r}")
    suite: dict[str, AttackFn] = {"fgsm": partial(fgsm, eps=eps, clamp=clamp)}
    for loss in losses:
        suite[f"pgd-{loss}"] = partial(
            pgd, eps=eps, alpha=alpha, steps=steps, loss=loss, random_start=random_start, clamp=clamp
        )
    return suite


@dataclass(frozen=True)
class WorstCase:
    """Per-sample outcome of :func:`worst_case`; every mask is a ``(N,)`` bool tensor.

    Attributes:
        clean: correctly classified without attack.
        per_attack: attack name -> correct on the clean input *and* on that attack's example.
        robust: correct on the clean input and under every attack (the AND of ``per_attack``).
    """

    clean: torch.Tensor
    per_attack: dict[str, torch.Tensor]
    robust: torch.Tensor


def worst_case(model: nn.Module, x: torch.Tensor, y: torch.Tensor, attacks: Mapping[str, AttackFn]) -> WorstCase:
    """Run several attacks on one batch; a sample is robust only if no attack fools the model.

    Args:
        model: classifier returning logits ``(N, C)`` (evaluated in eval mode, mode restored).
        x: inputs ``(N, ...)``.
        y: true classes ``(N,)``.
        attacks: name -> ``attack(model, x, y) -> x_adv``, e.g. :func:`standard_attacks` or
            ``{"pgd-dlr": functools.partial(pgd, eps=0.1, loss="dlr")}``.

    Returns:
        A :class:`WorstCase` with the clean, per-attack and worst-case correctness masks.
    """
    if not attacks:
        raise ValueError("attacks: expected at least one named attack")
    with eval_mode(model), torch.no_grad():
        clean = model(x).argmax(dim=1) == y
    per_attack = {}
    for name, attack in attacks.items():
        adversarial = attack(model, x, y)
        if adversarial.shape != x.shape:
            raise ValueError(f"attacks[{name!r}]: returned shape {tuple(adversarial.shape)}, expected {tuple(x.shape)}")
        with eval_mode(model), torch.no_grad():
            per_attack[name] = clean & (model(adversarial).argmax(dim=1) == y)
    robust = clean.clone()
    for mask in per_attack.values():
        robust &= mask
    return WorstCase(clean=clean, per_attack=per_attack, robust=robust)


AttackData = Union[Tuple[torch.Tensor, torch.Tensor], Dataset, DataLoader]


def _attack_batches(model: nn.Module, data: AttackData, batch_size: int
                    ) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
    """``(x, y)`` batches on the model's device: the tuple as one batch, datasets as in ``predict``."""
    device = model_device(model)
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(part, torch.Tensor) for part in data):
        return [(data[0].to(device), data[1].to(device))]
    if not isinstance(data, (Dataset, DataLoader)):
        raise ValueError(f"data: expected an (x, y) tuple of tensors, a Dataset or a DataLoader, "
                         f"got {type(data).__name__}")
    batch_size = check("batch_size", batch_size, POSITIVE_INTEGER)
    return Batches(data, batch_size, device, channels_last=uses_channels_last(model)).epoch(0)


def robust_correct(model: nn.Module, data: AttackData, attacks: Mapping[str, AttackFn], *,
                   batch_size: int = 256) -> dict[str, torch.Tensor]:
    """Per-sample correctness, clean, under each attack and in the worst case.

    Arguments as in :func:`robust_accuracy`. Returns ``{"clean": ..., <attack name>: ...,
    "worst_case": ...}``, each a ``(N,)`` bool tensor on the CPU in the data's order: correct on
    the clean input, under that attack (and clean), and under every attack at once. The worst
    case is taken per sample, so it lies below every single attack's accuracy.
    """
    reserved = {"clean", "worst_case"} & set(attacks)
    if reserved:
        raise ValueError(f"attacks: the names {sorted(reserved)} are reserved for the summary columns")
    masks: dict[str, list[torch.Tensor]] = {"clean": [], **{name: [] for name in attacks}, "worst_case": []}
    for x, y in _attack_batches(model, data, batch_size):
        outcome = worst_case(model, x, y, attacks)
        masks["clean"].append(outcome.clean.cpu())
        for name, mask in outcome.per_attack.items():
            masks[name].append(mask.cpu())
        masks["worst_case"].append(outcome.robust.cpu())
    if not masks["clean"] or sum(len(mask) for mask in masks["clean"]) == 0:
        raise ValueError("data: expected at least one sample")
    return {name: torch.cat(parts) for name, parts in masks.items()}


def robust_accuracy(model: nn.Module, data: AttackData, attacks: Mapping[str, AttackFn], *,
                    batch_size: int = 256) -> dict[str, float]:
    """Clean, per-attack and worst-case accuracy over a dataset.

    Args:
        model: classifier returning logits ``(N, C)``.
        data: one batch as a tuple ``(x, y)`` of tensors, or a ``Dataset`` or ``DataLoader`` of
            ``(x, y)`` samples, batched as :func:`hemlab.inference.predict` batches them (in order,
            on the device of the model's parameters).
        attacks: name -> attack, as in :func:`worst_case`.
        batch_size: samples per attacked batch for a ``Dataset`` (a ``DataLoader`` keeps its own).

    Returns:
        ``{"clean": ..., <attack name>: ..., "worst_case": ...}``: fractions of samples correct on
        the clean input, under each attack (and clean), and under all attacks at once (per
        sample, see :func:`robust_correct`).
    """
    return {name: float(mask.float().mean()) for name, mask in
            robust_correct(model, data, attacks, batch_size=batch_size).items()}
