"""Formulas are mathematics, not code: in the notebooks' markdown, ``docs/*.md``, the README
and the site's pages, a formula inside backticks fails, and every ``$...$``/``$$...$$`` must
convert to MathML (what the site renders; JupyterLab and Colab typeset the same LaTeX).

What counts as a formula inside an inline code span: a summation or product sign, ``exp(``,
``log`` as a word, a one-letter symbol with a subscript (``z_j``, ``e_{j}``, but not a name
such as ``n_bins``), a superscript ``^``, a norm ``||``, ``max_``/``min_``, a Greek letter, a
comparison sign (``≥ ≤ ≠``), ``√``, ``softmax(`` or a derivative ``dL/dz``. An indented code
block (four spaces after a blank line) is read the same way, a line at a time, since it is the
other way Markdown sets a formula as code. Fenced code blocks are code and are not read.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from latex2mathml.converter import convert

PROJECT = Path(__file__).resolve().parents[2]
FORMULA = re.compile(r"Σ|∑|∏|exp\(|\blog\b|(?<![A-Za-z0-9_])[A-Za-z]_(?:[A-Za-z0-9](?![A-Za-z0-9_])|\{)|\^|\|\|"
                     r"|\bmax_|\bmin_|[α-ωΑ-Ω]|≥|≤|≠|√|\bsoftmax\(|\bd[A-Za-z]/d[A-Za-z]")
CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
INDENTED_BLOCK = re.compile(r"(?:^|\n)\n((?:(?: {4}|\t)[^\n]*\n?)+)")
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")


def _prose(text: str) -> str:
    return FENCE.sub("", text)


def formulas_in_code(text: str) -> list[str]:
    """The inline code spans and indented code lines of markdown ``text`` that hold a formula."""
    prose = _prose(text)
    spans = [span for span in CODE_SPAN.findall(prose) if FORMULA.search(span)]
    lines = [line.strip() for block in INDENTED_BLOCK.findall(prose) for line in block.splitlines()
             if FORMULA.search(line) and not line.lstrip().startswith(("-", "*", "|"))]
    return spans + lines


def math_in(text: str) -> list[str]:
    """The LaTeX of every ``$$...$$`` and ``$...$`` of markdown ``text`` (code left out)."""
    prose = CODE_SPAN.sub("", _prose(text))
    display = DISPLAY_MATH.findall(prose)
    return display + INLINE_MATH.findall(DISPLAY_MATH.sub("", prose))


def _markdown_sources() -> dict[str, str]:
    sources = {}
    for path in sorted((PROJECT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "markdown":
                sources[f"{path.name} cell {index}"] = cell.source
    pages = [*sorted((PROJECT / "docs").glob("*.md")), PROJECT / "README.md",
             *sorted((PROJECT / "docs" / "site" / "pages").rglob("*.md"))]
    sources.update({path.relative_to(PROJECT).as_posix(): path.read_text() for path in pages})
    return sources


SOURCES = _markdown_sources()


def test_the_detector_tells_formulas_from_names():
    text = ("a margin `e_j = max(0, z_j - z_y + μ)`, `Σ_b n_b`, `log p`, `||z||`, `r^(-c)`, `dL/dz_j`;\n"
            "names: `hem_loss`, `n_bins`, `results/quick`, `hem:margin=0.5`, `diff_ci_low`, `la_prior = \"stage\"`\n"
            "```python\nloss = -(1 - p_y) ** gamma * log(p_y)\n```\n\n    K = {j : e_j >= t}\n    make demo\n")
    assert formulas_in_code(text) == ["e_j = max(0, z_j - z_y + μ)", "Σ_b n_b", "log p", "||z||", "r^(-c)", "dL/dz_j",
                                      "K = {j : e_j >= t}"]


def test_math_is_found_outside_code():
    text = "with $z_y$ and `$HEMLAB_RESULTS`, then\n$$L = \\frac{1}{C}$$\nand $\\mu$; costs $5 or $6.\n"
    assert math_in(text) == ["L = \\frac{1}{C}", "z_y", "\\mu"]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_no_formula_is_left_in_backticks(name):
    assert formulas_in_code(SOURCES[name]) == [], f"{name}: write these as LaTeX ($...$)"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_formula_converts_to_mathml(name):
    for latex in math_in(SOURCES[name]):
        assert "<math" in convert(latex), (name, latex)
