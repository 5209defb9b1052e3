"""Interactive panels for the notebooks: compute first, then let a slider choose what to show.

A panel never trains or evaluates: the notebook computes every option's result up front, and the
slider only picks which one a cheap drawing callback plots. Notebooks also call the callback once
directly, so a headless test run (nbval) checks the drawing logic without a widget front end.
"""
from __future__ import annotations

import base64
import io
from typing import Any, Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def _figure_output(figure: Figure) -> dict[str, Any]:
    """``figure`` as one Jupyter ``display_data`` output (PNG), then closed so it is not shown twice."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
                     "text/plain": f"<Figure {figure.get_label() or ''}>"}}


def selection_panel(options: Sequence[Any], draw: Callable[[Any], Figure | Sequence[Figure]], *,
                    description: str = "option", value: Any = None) -> widgets.VBox:
    """A slider over precomputed ``options`` above an output area showing ``draw(option)``.

    Moving the slider calls ``draw`` with the chosen option and replaces the pictures.

    Args:
        options: the values to choose among, in slider order (e.g. HEM margins ``[0.25, 0.5, 1, 2]``);
            each is shown by its ``str``.
        draw: ``option -> matplotlib Figure`` or a non-empty sequence of Figures (shown one below
            the other); cheap (it only plots precomputed results).
        description: the slider's label, e.g. ``"HEM margin μ"``.
        value: the option shown first; default the first.

    Returns:
        ``VBox([slider, output])``: ``panel.children[0]`` is the ``SelectionSlider``,
        ``panel.children[1]`` the ``Output`` holding the current figures (one output each).

    Example (``runs_by_margin`` computed beforehand, margin -> runs)::

        draw = lambda mu: plot_margin_histograms(runs_by_margin[mu], margin=mu)
        draw(1.0)                                   # the logic, testable without widgets
        selection_panel(sorted(runs_by_margin), draw, description="HEM margin μ")
    """
    if isinstance(options, str) or not isinstance(options, Sequence) or len(options) == 0:
        raise ValueError(f"options: expected a non-empty sequence of values to choose among, got {options!r:.80}")
    if not callable(draw):
        raise ValueError(f"draw: expected a callable option -> Figure, got {type(draw).__name__}")
    if value is not None and value not in options:
        raise ValueError(f"value: expected one of options {list(options)}, got {value!r}")
    slider = widgets.SelectionSlider(options=[(str(option), option) for option in options],
                                     value=options[0] if value is None else value, description=description,
                                     continuous_update=False, style={"description_width": "initial"},
                                     layout=widgets.Layout(width="420px"))
    output = widgets.Output()

    def show(chosen: Any) -> None:
        drawn = draw(chosen)
        figures = [drawn] if isinstance(drawn, Figure) else list(drawn) if isinstance(drawn, Sequence) else []
        if not figures or not all(isinstance(figure, Figure) for figure in figures):
            raise ValueError(f"draw: expected it to return a matplotlib Figure or a non-empty sequence of Figures, "
                             f"got {type(drawn).__name__}")
        output.outputs = tuple(_figure_output(figure) for figure in figures)

    slider.observe(lambda change: show(change["new"]), names="value")
    show(slider.value)
    return widgets.VBox([slider, output])
