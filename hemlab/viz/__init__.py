"""Pictures: a grid of a dataset's images (with unknown classes and corruptions), training
curves, the anatomy of a loss (gradients per logit, loss curves, decision regions with margin
bands), logit and margin distributions, one picture per task, the paper's summary figures,
and the ipywidgets panels of the notebooks.

Every plot is a pure function of tables (pandas) and arrays (numpy or torch) that returns a
matplotlib Figure; every loss keeps one colour across figures (:func:`loss_colors`, HEM in red).
What the anatomy plots draw (gradients, sweeps, toy models, the pull during training) is
computed by :mod:`hemlab.anatomy`.
"""
from hemlab.moved import moved_names
from hemlab.stats.notebook import hem_margins
from hemlab.viz.anatomy import plot_decision_regions, plot_logit_gradients, plot_rival_sweep, plot_true_logit_pull
from hemlab.viz.anatomy_widgets import LossAnatomyPanel, parse_logits
from hemlab.viz.continual import plot_accuracy_matrices
from hemlab.viz.curves import plot_training_curves
from hemlab.viz.distributions import plot_logit_distributions, plot_margin_histograms
from hemlab.viz.glyphs import plot_glyph_grid
from hemlab.viz.imbalanced import plot_per_class_accuracy_vs_count
from hemlab.viz.ood import plot_roc_curves, plot_score_histograms
from hemlab.viz.palette import HEM_COLOR, loss_colors
from hemlab.viz.panels import selection_panel
from hemlab.viz.paper_figures import headline_tuples, save_comparison_figure, save_paper_figures
from hemlab.viz.ranks import plot_critical_difference
from hemlab.viz.robustness import plot_accuracy_vs_eps, plot_accuracy_vs_severity, plot_corrupted_images
from hemlab.viz.segmentation import plot_masks
from hemlab.viz.summary import plot_margin_sweep, plot_summary
from hemlab.viz.training_pull import plot_pull_during_training

__getattr__ = moved_names(__name__, {"hemlab.anatomy": (
    "ToyModels", "anatomy_losses", "decision_grid", "logit_gradients", "pull_during_training", "rival_sweep",
    "train_toy_models", "true_logit_pull")})

__all__ = [
    "HEM_COLOR",
    "LossAnatomyPanel",
    "headline_tuples",
    "hem_margins",
    "loss_colors",
    "parse_logits",
    "plot_accuracy_matrices",
    "plot_accuracy_vs_eps",
    "plot_accuracy_vs_severity",
    "plot_corrupted_images",
    "plot_critical_difference",
    "plot_decision_regions",
    "plot_glyph_grid",
    "plot_logit_distributions",
    "plot_logit_gradients",
    "plot_margin_histograms",
    "plot_margin_sweep",
    "plot_masks",
    "plot_per_class_accuracy_vs_count",
    "plot_pull_during_training",
    "plot_rival_sweep",
    "plot_roc_curves",
    "plot_score_histograms",
    "plot_summary",
    "plot_training_curves",
    "plot_true_logit_pull",
    "save_comparison_figure",
    "save_paper_figures",
    "selection_panel",
]
