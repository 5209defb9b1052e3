"""Pictures: training curves, the anatomy of a loss (gradients per logit, loss curves,
decision regions with margin bands) and its interactive panel; logit and margin
histograms and result heatmaps as the task notebooks arrive."""
from hemlab.viz.anatomy import (
    ToyModels,
    anatomy_losses,
    decision_grid,
    logit_gradients,
    plot_decision_regions,
    plot_logit_gradients,
    plot_rival_sweep,
    plot_true_logit_pull,
    rival_sweep,
    train_toy_models,
    true_logit_pull,
)
from hemlab.viz.anatomy_widgets import LossAnatomyPanel, parse_logits
from hemlab.viz.curves import plot_training_curves

__all__ = [
    "LossAnatomyPanel",
    "ToyModels",
    "anatomy_losses",
    "decision_grid",
    "logit_gradients",
    "parse_logits",
    "plot_decision_regions",
    "plot_logit_gradients",
    "plot_rival_sweep",
    "plot_training_curves",
    "plot_true_logit_pull",
    "rival_sweep",
    "train_toy_models",
    "true_logit_pull",
]
