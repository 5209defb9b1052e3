"""The loss-anatomy panel: a margin slider, a loss dropdown and an editable logit vector
driving the plots of :mod:`hemlab.viz.anatomy` from what :mod:`hemlab.anatomy` computes.

>>> panel = LossAnatomyPanel(toy_models)   # toy_models from hemlab.anatomy.train_toy_models
>>> panel.widget                            # display it in a notebook
>>> view = panel.update()                   # what a slider move does; testable without a browser
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from hemlab.anatomy import REFERENCE_LOSSES, ToyModels, anatomy_losses, logit_gradients, rival_sweep, takes_margin
from hemlab.losses import loss_info
from hemlab.viz.anatomy import plot_decision_regions, plot_logit_gradients, plot_rival_sweep

DEFAULT_LOGITS: tuple[float, ...] = (1.0, 1.5, 0.8, 0.2, -1.0)


def parse_logits(text: str) -> torch.Tensor:
    """``"1.0, 1.5, 0.8"`` -> ``tensor([1.0, 1.5, 0.8])`` (float64); at least two numbers."""
    try:
        values = [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"logits: expected comma-separated numbers, got {text!r}") from None
    if len(values) < 2:
        raise ValueError(f"logits: expected at least two numbers (one per class), got {text!r}")
    return torch.tensor(values, dtype=torch.float64)


@dataclass
class AnatomyView:
    """What one update computed: the selected loss's value and gradients, the readout, and
    the figure (closed) with the PNG the panel shows."""

    loss: str
    margin: float
    loss_value: float
    gradients: list[float]
    readout: str
    figure: Figure
    png: bytes


class LossAnatomyPanel:
    """Widgets (``margin`` slider, ``loss`` dropdown, ``logits`` text, ``target`` class) and
    one figure: (a) ``dL/dz_j`` per class for the chosen loss beside HEM, MM and CE,
    (b) each loss as the strongest rival logit moves, (c) the chosen loss's toy model at the
    trained margin nearest the slider, with its margin band. ``update()`` redraws; the
    widgets call it on every change. The figure is shown as a PNG in an ``Image`` widget
    (not an ``Output`` widget), so a redraw is one widget-state change that every front end,
    nbval and papermill included, handles the same way."""

    def __init__(self, toy_models: ToyModels, logits: Sequence[float] = DEFAULT_LOGITS, target: int = 0,
                 loss: str = "hem") -> None:
        options = anatomy_losses()
        if loss not in options:
            raise ValueError(f"loss: expected one of {options}, got {loss!r}")
        self.toy_models = toy_models
        margins = list(toy_models.margins)
        start = 1.0 if 1.0 in margins else margins[len(margins) // 2]
        self.margin = widgets.SelectionSlider(options=margins, value=start, description="margin",
                                              continuous_update=False)
        self.loss = widgets.Dropdown(options=[(f"{name}: {loss_info(name).title}", name) for name in options],
                                     value=loss, description="loss")
        self.logits = widgets.Text(value=", ".join(f"{v:g}" for v in logits), description="logits z",
                                   continuous_update=False)
        self.target = widgets.BoundedIntText(value=target, min=0, max=len(logits) - 1, description="true class")
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        for control in (self.margin, self.loss, self.logits, self.target):
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.loss, self.margin]),
            widgets.HBox([self.logits, self.target]),
            self.readout,
            self.image,
        ])

    def _on_change(self, change: dict) -> None:
        try:
            self.update()
        except ValueError:
            pass  # the readout already names the bad input

    def update(self) -> AnatomyView:
        """Recompute and redraw from the widgets' current values; return what was drawn."""
        try:
            logits = parse_logits(self.logits.value)
        except ValueError as error:
            self.readout.value = f"<b>{error}</b>"
            raise
        self.target.max = len(logits) - 1
        target, name, margin = int(self.target.value), self.loss.value, float(self.margin.value)
        names = [name, *[reference for reference in REFERENCE_LOSSES if reference != name]]
        gradients = logit_gradients(logits, target, margin, names)
        rivals = logits.clone()
        rivals[target] = -float("inf")
        rival = int(rivals.argmax())
        sweep = rival_sweep(logits, target, rival, margin, names)

        figure, (gradient_axis, sweep_axis, region_axis) = plt.subplots(
            1, 3, figsize=(15, 4.3), gridspec_kw={"width_ratios": [1.2, 1.0, 0.8]})
        plot_logit_gradients(gradients, ax=gradient_axis, title=f"(a) dL/dz_j, margin {margin:g}")
        plot_rival_sweep(sweep, float(logits[target]), margin, current=float(logits[rival]), ax=sweep_axis,
                         title=f"(b) loss as rival class {rival} moves")
        key = self.toy_models.key(name, margin)
        trained = "no margin, no band" if key[1] is None else f"trained at margin {key[1]:g}"
        plot_decision_regions(self.toy_models.model(name, margin), self.toy_models.train_set,
                              None if key[1] is None else margin,
                              ax=region_axis, title=f"(c) {name} on {self.toy_models.dataset}, {trained}")
        figure.tight_layout()

        chosen = gradients[gradients["loss"] == name].sort_values("class")
        value = float(chosen["loss_value"].iloc[0])
        pushed = int((chosen["gradient"] > 1e-12).sum())
        margin_note = f"margin {margin:g}" if takes_margin(name) else "no margin"
        readout = (f"<b>{name}</b> ({margin_note}): loss = {value:.4f}; true-logit gradient = "
                   f"{float(chosen.loc[chosen['is_target'], 'gradient'].iloc[0]):+.4f}; "
                   f"rivals pushed down: {pushed} of {len(logits) - 1}; "
                   f"toy test accuracy {self.toy_models.accuracies[key]:.3f}")
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=80)
        plt.close(figure)
        self.readout.value, self.image.value = readout, png.getvalue()
        return AnatomyView(name, margin, value, chosen["gradient"].tolist(), readout, figure, png.getvalue())
