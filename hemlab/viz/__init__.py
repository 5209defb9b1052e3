"""Pictures: training curves now; logit and margin histograms, decision boundaries and
result heatmaps as the task notebooks arrive."""
from hemlab.viz.curves import plot_training_curves

__all__ = ["plot_training_curves"]
