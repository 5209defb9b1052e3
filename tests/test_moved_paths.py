"""The import paths of hemlab 0.1 still work in 0.2, each with a DeprecationWarning that names
the new path (``hemlab.moved``); the new paths warn of nothing."""
from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

from hemlab import experiments, stats, tasks
from hemlab.moved import MOVED_MODULES


def _fresh_import(statement: str) -> subprocess.CompletedProcess:
    """Run ``statement`` in a new interpreter with DeprecationWarnings as errors."""
    return subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", statement],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("old", sorted(MOVED_MODULES))
def test_each_moved_module_imports_from_its_old_path_with_a_warning(old):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=rf"{old} moved to {MOVED_MODULES[old][0]}"):
        module = importlib.import_module(old)
    for home in MOVED_MODULES[old]:
        new = importlib.import_module(home)
        for name in getattr(new, "__all__", ()):
            assert getattr(module, name) is getattr(new, name), (old, name)


@pytest.mark.parametrize("statement, new", [
    ("from hemlab.tasks.execute import Job, execute, process_executor", "hemlab.experiments.execution"),
    ("from hemlab.tasks.store import ResultStore", "hemlab.experiments.store"),
    ("from hemlab.tasks.stats import summarize, verdicts, CLAIMS", "hemlab.stats.summary"),
    ("from hemlab.tasks.spec import PRESETS", "hemlab.tasks.presets.PRESETS"),
    ("from hemlab.tasks.spec import parse_loss_spec", "hemlab.tasks.loss_labels.parse_loss_spec"),
    ("from hemlab.tasks import ResultStore", "hemlab.experiments.ResultStore"),
    ("import hemlab.tasks as t; t.verdict_lines", "hemlab.stats.verdict_lines"),
])
def test_an_old_import_warns_at_the_users_line_naming_the_new_path(statement, new):
    done = _fresh_import(statement)
    assert done.returncode != 0 and "DeprecationWarning" in done.stderr and new in done.stderr, done.stderr
    assert 'File "<string>", line 1' in done.stderr   # attributed to the user's line, not importlib's


def test_the_old_names_are_the_new_objects():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from hemlab.tasks.execute import Job, execute
        from hemlab.tasks.spec import PRESETS, TaskSettings
        assert (tasks.ResultStore, tasks.summarize, tasks.Sweep) == (experiments.ResultStore, stats.summarize,
                                                                     experiments.Sweep)
        assert callable(tasks.verdicts) and callable(tasks.sweep)   # a function, or its old module (callable)
    assert (Job, execute, PRESETS, TaskSettings) == (experiments.Job, experiments.execute, tasks.PRESETS,
                                                     tasks.TaskSettings)


def test_plan_and_sweep_stay_callable_after_their_old_module_is_imported():
    """0.1's ``hemlab.tasks.plan`` was a module and a function: importing the module path binds
    the module on the package, and calling it still plans."""
    done = _fresh_import("import warnings; warnings.simplefilter('ignore')\n"
                         "import hemlab.tasks.plan, hemlab.tasks\n"
                         "specs = hemlab.tasks.plan('quick', tasks=['ood'], losses=['ce'], seeds=1)\n"
                         "print(len(specs), specs[0].task)")
    assert done.returncode == 0 and done.stdout.split() == ["1", "ood"], done.stderr


def test_the_new_paths_warn_of_nothing():
    done = _fresh_import("from hemlab import experiments, stats, tasks\n"
                         "experiments.ResultStore, experiments.plan, experiments.sweep, stats.verdicts, "
                         "stats.summarize, tasks.RunSpec, tasks.PRESETS, tasks.LossLabel\n"
                         "import hemlab.cli, hemlab.viz")
    assert done.returncode == 0, done.stderr


def test_an_unknown_name_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        tasks.nothing_here
