"""Pictures: training curves, logit and margin distributions, one picture per task, the paper's
summary figures, and slider panels for the notebooks.

Every plot is a pure function of tables (pandas) and arrays (numpy or torch) that returns a
matplotlib Figure; every loss keeps one colour across figures (:func:`loss_colors`, HEM in red).
"""
from hemlab.viz.continual import plot_accuracy_matrices
from hemlab.viz.curves import plot_training_curves
from hemlab.viz.distributions import plot_logit_distributions, plot_margin_histograms
from hemlab.viz.imbalanced import plot_per_class_accuracy_vs_count
from hemlab.viz.ood import plot_roc_curves, plot_score_histograms
from hemlab.viz.palette import HEM_COLOR, loss_colors
from hemlab.viz.paper_figures import headline_tuples, save_paper_figures
from hemlab.viz.panels import selection_panel
from hemlab.viz.robustness import plot_accuracy_vs_eps, plot_accuracy_vs_severity
from hemlab.viz.segmentation import plot_masks
from hemlab.viz.summary import plot_margin_sweep, plot_summary

__all__ = [
    "HEM_COLOR",
    "headline_tuples",
    "loss_colors",
    "plot_accuracy_matrices",
    "plot_accuracy_vs_eps",
    "plot_accuracy_vs_severity",
    "plot_logit_distributions",
    "plot_margin_histograms",
    "plot_margin_sweep",
    "plot_masks",
    "plot_per_class_accuracy_vs_count",
    "plot_roc_curves",
    "plot_score_histograms",
    "plot_summary",
    "plot_training_curves",
    "save_paper_figures",
    "selection_panel",
]
