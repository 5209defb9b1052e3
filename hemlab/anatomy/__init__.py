"""The anatomy of a loss, computed: which logits it pushes and how hard (by autograd through
``hemlab.losses``), how its value moves with one rival logit, how hard it pulls the samples
still in error, and what small models trained with it on a 2-D toy set decide.

Every function returns tables (pandas), tensors or trained models; :mod:`hemlab.viz` draws them.

- :mod:`hemlab.anatomy.criteria`: the losses to look at and each one's criterion at a margin;
- :mod:`hemlab.anatomy.gradients`: :func:`logit_gradients`, :func:`rival_sweep`, :func:`true_logit_pull`;
- :mod:`hemlab.anatomy.toy_models`: :func:`train_toy_models`, :class:`ToyModels`, :func:`decision_grid`;
- :mod:`hemlab.anatomy.training_pull`: :func:`pull_during_training`, :func:`update_ratio`.
"""
from hemlab.anatomy.criteria import REFERENCE_LOSSES, anatomy_losses, criterion_for, takes_margin
from hemlab.anatomy.gradients import logit_gradients, rival_sweep, true_logit_pull
from hemlab.anatomy.toy_models import ToyModels, decision_grid, train_toy_models
from hemlab.anatomy.training_pull import LEARNING_RATES, pull_during_training, update_ratio

__all__ = [
    "LEARNING_RATES",
    "REFERENCE_LOSSES",
    "ToyModels",
    "anatomy_losses",
    "criterion_for",
    "decision_grid",
    "logit_gradients",
    "pull_during_training",
    "rival_sweep",
    "takes_margin",
    "train_toy_models",
    "true_logit_pull",
    "update_ratio",
]
