"""The drawing of hemlab's imports: no circle, and every arrow between the layers points down
(``cli`` -> ``experiments`` -> ``stats`` -> ``tasks`` -> the library). Read from each module's
syntax tree, imports inside functions included, so an import moved into a function to hold a
circle open is still an arrow."""
from __future__ import annotations

import ast
import importlib
import pkgutil
import warnings
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import hemlab

PACKAGE_ROOT = Path(hemlab.__file__).parent
LAYERS = ("hemlab.cli", "hemlab.experiments", "hemlab.stats", "hemlab.tasks")
"""Top to bottom: a module of a layer imports none of the layers above it."""
ABOVE_THE_LAYERS = ("hemlab.__main__", "hemlab.viz")
"""``python -m hemlab`` (the command line) and the plots, which draw what the layers computed."""


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE_ROOT.rglob("*.py"):
        parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


MODULES = module_names()


def _target(name: str) -> str | None:
    """The hemlab module an import of ``name`` loads last (``a.b.c`` -> the longest known prefix)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The hemlab modules ``module`` imports anywhere in its code."""
    tree = ast.parse(MODULES[module].read_text())
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_target(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(_target(f"{base}.{alias.name}") if f"{base}.{alias.name}" in MODULES else _target(base))
    return {name for name in found if name and name != module and name.startswith("hemlab")}


GRAPH = {module: imports_of(module) for module in MODULES}


def layer_of(module: str) -> int | None:
    for rank, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return rank
    return None


def test_the_drawing_has_no_circle():
    try:
        tuple(TopologicalSorter(GRAPH).static_order())
    except CycleError as error:
        pytest.fail(f"import circle: {' -> '.join(error.args[1])}")


def test_every_arrow_between_layers_points_down():
    upward = [f"{module} imports {target}" for module, targets in GRAPH.items() for target in targets
              if layer_of(module) is not None and layer_of(target) is not None and layer_of(target) < layer_of(module)]
    assert upward == []


def test_the_library_below_the_layers_imports_none_of_them():
    below = [f"{module} imports {target}" for module, targets in GRAPH.items() for target in targets
             if layer_of(module) is None and layer_of(target) is not None and module not in ABOVE_THE_LAYERS
             and not module.startswith("hemlab.viz.")]
    assert below == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    source = "def f():\n    from hemlab.experiments.store import ResultStore\n"
    tree = ast.parse(source)
    inner = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert inner == ["hemlab.experiments.store"] and _target(inner[0]) == "hemlab.experiments.store"
    graph = {**GRAPH, "hemlab.tasks.spec": GRAPH["hemlab.tasks.spec"] | {"hemlab.experiments.store"}}
    assert any(layer_of(t) < layer_of("hemlab.tasks.spec") for t in graph["hemlab.tasks.spec"] if layer_of(t) is not None)
    circle = {**GRAPH, "hemlab.tasks.names": GRAPH["hemlab.tasks.names"] | {"hemlab.tasks.spec"}}
    with pytest.raises(CycleError):
        tuple(TopologicalSorter(circle).static_order())


def test_the_anatomy_imports_no_plots_and_no_layer():
    """``hemlab.anatomy`` computes what ``hemlab.viz`` draws: library code, below the plots."""
    upward = [f"{module} imports {target}" for module, targets in GRAPH.items() for target in targets
              if module.startswith("hemlab.anatomy")
              and (target.startswith("hemlab.viz") or layer_of(target) is not None)]
    assert GRAPH["hemlab.anatomy"] and upward == []


@pytest.mark.parametrize("package", ["hemlab.tasks", "hemlab.experiments", "hemlab.stats", "hemlab.viz",
                                     "hemlab.anatomy"])
def test_no_exported_name_is_also_a_submodule(package):
    """A package whose function and submodule share a name answers the module once something
    imports the submodule (the import system binds it on the package)."""
    module = importlib.import_module(package)
    submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
    assert sorted(set(module.__all__) & submodules) == []


def test_importing_every_module_warns_of_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for name in sorted(MODULES):
            if name == "hemlab.__main__" or name.startswith("hemlab.experiments.ray_executor"):
                continue
            importlib.import_module(name)
