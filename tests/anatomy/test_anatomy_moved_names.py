"""The anatomy's computations moved from ``hemlab.viz`` to ``hemlab.anatomy``: each old name
still answers, with a DeprecationWarning naming the new path, and is the new object; the
plots stay in ``hemlab.viz``; ``hemlab.anatomy`` imports nothing of the plots or the task layers."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import hemlab.anatomy

MOVED = {
    "hemlab.viz": ("ToyModels", "anatomy_losses", "decision_grid", "logit_gradients", "pull_during_training",
                   "rival_sweep", "train_toy_models", "true_logit_pull"),
    "hemlab.viz.anatomy": ("REFERENCE_LOSSES", "ToyModels", "anatomy_losses", "criterion_for", "decision_grid",
                           "logit_gradients", "rival_sweep", "takes_margin", "train_toy_models", "true_logit_pull"),
    "hemlab.viz.training_pull": ("LEARNING_RATES", "pull_during_training", "update_ratio"),
}
OLD_NAMES = [(module, name) for module, names in MOVED.items() for name in names]


@pytest.mark.parametrize(("module", "name"), OLD_NAMES)
def test_an_old_name_warns_and_is_the_new_object(module, name):
    old = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{name} moved to hemlab\.anatomy\.{name}"):
        value = getattr(old, name)
    assert value is getattr(hemlab.anatomy, name)


def test_the_moved_names_leave_the_old_exports():
    import hemlab.viz
    assert set(MOVED["hemlab.viz"]).isdisjoint(hemlab.viz.__all__)
    assert {"plot_logit_gradients", "plot_rival_sweep", "plot_true_logit_pull", "plot_decision_regions",
            "plot_pull_during_training"} <= set(hemlab.viz.__all__)
    assert set(hemlab.anatomy.__all__) == set(MOVED["hemlab.viz.anatomy"]) | set(MOVED["hemlab.viz.training_pull"])


def test_an_old_from_import_warns_at_the_users_line():
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c",
                           "from hemlab.viz.anatomy import train_toy_models"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "hemlab.anatomy.train_toy_models" in done.stderr, done.stderr
    assert 'File "<string>", line 1' in done.stderr


def test_an_unknown_name_is_still_an_attribute_error():
    import hemlab.viz.anatomy
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        hemlab.viz.anatomy.nothing_here


def test_importing_hemlab_anatomy_loads_no_plots_and_no_task_layer():
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c",
                           "import sys, hemlab.anatomy\n"
                           "print(sorted(m for m in sys.modules if m.startswith(('hemlab.viz', 'hemlab.experiments',"
                           " 'hemlab.stats', 'hemlab.cli', 'hemlab.tasks'))))"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
