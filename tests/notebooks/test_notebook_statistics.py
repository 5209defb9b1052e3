"""No notebook computes a statistic by hand or writes a sentinel as a number: the task layer
has the paired tests (``stats.paired_differences``, ``stats.margin_sweep(..., paired_to=...)``)
and the means over seeds (``stats.summarize``), and ``hemlab.sentinels`` the labels.

Read from each code cell's syntax tree (IPython magics blanked), so a name in a string or a
comment is not a call: ``ttest_rel`` called or imported, ``pivot_table`` with ``seed`` among
its index or columns (seeds as rows, the first step of a hand-made statistic over them), and
the number ``-100`` (``IGNORE_INDEX``).
"""
from __future__ import annotations

import ast
import re

import nbformat

MAGIC = re.compile(r"^(\s*)[%!].*$", re.M)


def _tree(source: str) -> ast.Module:
    return ast.parse(MAGIC.sub(lambda line: f"{line.group(1)}pass", source))


def _names(node: ast.AST) -> set[str]:
    return {part.id if isinstance(part, ast.Name) else part.attr
            for part in ast.walk(node) if isinstance(part, (ast.Name, ast.Attribute))}


def _constants(node: ast.AST) -> set[object]:
    return {part.value for part in ast.walk(node) if isinstance(part, ast.Constant)}


def _seed_pivot(call: ast.Call) -> bool:
    shaping = [keyword.value for keyword in call.keywords if keyword.arg in ("index", "columns")] + call.args[:2]
    return isinstance(call.func, ast.Attribute) and call.func.attr == "pivot_table" and any(
        "seed" in _constants(argument) for argument in shaping)


def _minus_100(node: ast.AST) -> bool:
    return (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and node.operand.value == 100) or (isinstance(node, ast.Constant) and node.value == -100)


def hand_made_statistics(notebook: nbformat.NotebookNode) -> list[str]:
    """``"cell N: what"`` for each code cell that calls or imports ``ttest_rel``, pivots over
    seeds or writes ``-100``."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tree = _tree(cell.source)
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
        if "ttest_rel" in _names(tree) | imported:
            found.append(f"cell {index}: ttest_rel (use stats.paired_differences)")
        if any(isinstance(node, ast.Call) and _seed_pivot(node) for node in ast.walk(tree)):
            found.append(f"cell {index}: pivot_table over seeds (use stats.summarize or stats.paired_differences)")
        if any(_minus_100(node) for node in ast.walk(tree)):
            found.append(f"cell {index}: the literal -100 (use hemlab.sentinels.IGNORE_INDEX)")
    return found


def test_no_notebook_computes_a_statistic_by_hand(notebook):
    assert hand_made_statistics(notebook) == [], notebook.metadata["path"]


def test_the_check_finds_each_planted_example():
    planted = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\nfrom scipy import stats\nlow, high = "
                                  "stats.ttest_rel(a, b).confidence_interval(0.95)"),
        nbformat.v4.new_code_cell("from scipy.stats import ttest_rel"),
        nbformat.v4.new_code_cell('by_seed = rows.pivot_table(index="seed", columns="loss_label", values="value")'),
        nbformat.v4.new_code_cell('per_run = rows.pivot_table(index=["loss_label", "seed"], values="value")'),
        nbformat.v4.new_code_cell("ignored = masks == -100"),
        nbformat.v4.new_markdown_cell("scipy's `ttest_rel`, `pivot_table(index=\"seed\")` and -100 in prose"),
        nbformat.v4.new_code_cell('if x:\n    %pip install -q hemlab\nlast = margins[-1] - 100\n'
                                  'note = "-100 and ttest_rel in a string"  # ttest_rel in a comment\n'
                                  'table.pivot_table(index="corruption", columns="loss_label", values="mean")'),
    ])
    assert hand_made_statistics(planted) == [
        "cell 0: ttest_rel (use stats.paired_differences)",
        "cell 1: ttest_rel (use stats.paired_differences)",
        "cell 2: pivot_table over seeds (use stats.summarize or stats.paired_differences)",
        "cell 3: pivot_table over seeds (use stats.summarize or stats.paired_differences)",
        "cell 4: the literal -100 (use hemlab.sentinels.IGNORE_INDEX)",
    ]
