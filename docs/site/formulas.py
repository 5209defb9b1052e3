"""The losses' formulas in LaTeX, added under each loss function's entry of the API pages.

The docstrings keep their plain-text formulas, which read well in ``help()``; the site shows
these typeset (as MathML, rendered while building). Each one restates its docstring:
per position (a sample or a pixel), logits ``z`` over ``C`` classes, true class ``y``.
"""
from __future__ import annotations

HINGE = r"e_j = \max(0,\; z_j - z_y + \mu) \quad (j \neq y), \qquad e_y = 0"

FORMULAS: dict[str, list[str]] = {
    "hemlab.losses.cross_entropy_loss": [r"L = -\log \frac{e^{z_y}}{\sum_{j=1}^{C} e^{z_j}}"],
    "hemlab.losses.multi_margin_loss": [HINGE, r"L = \frac{1}{C} \sum_{j=1}^{C} e_j^{\,p}"],
    "hemlab.losses.hem_loss": [
        HINGE,
        r"t = \frac{1}{C} \sum_{j=1}^{C} e_j \quad \text{(no gradient)}",
        r"K = \{\, j : e_j \geq t,\; e_j > 0 \,\}",
        r"L = \frac{\sum_{j \in K} e_j}{\epsilon + |K|}",
        r"\mathrm{loss} = \frac{\sum_i L_i}{\epsilon + |S|}, \qquad S = \{\, i : L_i > 0 \,\}, \quad \epsilon = 10^{-6}",
    ],
    "hemlab.losses.logitnorm_loss": [
        r"L = \mathrm{CE}\left(\frac{z}{\tau\,(\|z\|_2 + 10^{-7})},\; y\right), \qquad \tau = 0.04"],
    "hemlab.losses.logit_adjusted_loss": [
        r"L = \mathrm{CE}\left(z + \tau \log \pi,\; y\right), \qquad \pi_c = \frac{n_c}{\sum_k n_k}, \quad \tau = 1"],
    "hemlab.losses.dice_loss": [
        r"L = 1 - \frac{1}{C} \sum_{c=1}^{C} \frac{2 \sum p_c\, g_c + s}{\sum p_c + \sum g_c + s}, \qquad p = \mathrm{softmax}(z)"],
    "hemlab.losses.focal_loss": [r"L = -(1 - p_y)^{\gamma} \log p_y, \qquad p_y = \mathrm{softmax}(z)_y, \quad \gamma = 2"],
}


def add_formula(app, what: str, name: str, obj, options, lines: list[str]) -> None:
    """``autodoc-process-docstring`` hook: append the typeset formula of ``name``, if any."""
    if name not in FORMULAS:
        return
    lines.extend(["", ".. rubric:: Formula", ""])
    for formula in FORMULAS[name]:
        lines.extend([".. math::", "", f"   {formula}", ""])
