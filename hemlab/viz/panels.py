"""Interactive panels for the notebooks: compute first, then let a slider choose what to show.

A panel never trains or evaluates: the notebook computes every option's result up front, and the
slider only picks which one a cheap drawing callback plots. Notebooks also call the callback once
directly, so a headless test run (nbval) checks the drawing logic without a widget front end.
"""
from __future__ import annotations

import base64
import io
from typing import Any, Callable, Mapping, Sequence

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


Options = Sequence[Any]


def _check_options(options: Any, name: str) -> Options:
    if isinstance(options, str) or not isinstance(options, Sequence) or len(options) == 0:
        raise ValueError(f"{name}: expected a non-empty sequence of values to choose among, got {options!r:.80}")
    return options


def _is_number(option: Any) -> bool:
    return isinstance(option, (int, float)) and not isinstance(option, bool)


def _control(options: Options, description: str, value: Any, name: str, slider: bool) -> widgets.ValueWidget:
    """A ``SelectionSlider`` (``slider``) or a ``Dropdown`` over ``options``; disabled when there
    is only one option (still shown, so the reader sees what is fixed)."""
    if value is not None and value not in options:
        raise ValueError(f"{name}: expected one of {list(options)}, got {value!r}")
    kind = widgets.SelectionSlider if slider else widgets.Dropdown
    extra = {"continuous_update": False} if kind is widgets.SelectionSlider else {}
    return kind(options=[(str(option), option) for option in options], value=options[0] if value is None else value,
                description=description, disabled=len(options) == 1, style={"description_width": "initial"},
                layout=widgets.Layout(width="420px" if kind is widgets.SelectionSlider else "260px"), **extra)


def _show(output: widgets.Output, drawn: Any) -> None:
    """Put the figure(s) ``drawn`` into ``output``, one display output each."""
    figures = [drawn] if isinstance(drawn, Figure) else list(drawn) if isinstance(drawn, Sequence) else []
    if not figures or not all(isinstance(figure, Figure) for figure in figures):
        raise ValueError(f"draw: expected it to return a matplotlib Figure or a non-empty sequence of Figures, "
                         f"got {type(drawn).__name__}")
    output.outputs = tuple(_figure_output(figure) for figure in figures)


def selection_panel(options: Options | Mapping[str, Options], draw: Callable[..., Figure | Sequence[Figure]], *,
                    description: str | Mapping[str, str] | None = None, value: Any = None) -> widgets.VBox:
    """Controls over precomputed ``options`` above an output area showing what ``draw`` returns.

    One sequence of options gives one slider and ``draw(option)``. A mapping ``name -> options``
    gives one control per name, side by side (a slider over numbers, a dropdown over anything
    else), and ``draw(**chosen)``, e.g. a loss selector beside a margin slider. Moving any control
    calls ``draw`` with every control's current value and replaces the pictures.

    Args:
        options: the values to choose among, in order (e.g. HEM margins ``[0.25, 0.5, 1, 2]``), each
            shown by its ``str``; or a mapping from ``draw``'s keyword names to such sequences.
            A control with a single option is shown disabled.
        draw: ``option -> Figure`` (or ``**chosen -> Figure`` for a mapping), or a non-empty
            sequence of Figures shown one below the other; cheap (it only plots precomputed results).
        description: the slider's label, e.g. ``"HEM margin μ"`` (default ``"option"``); for a
            mapping, name -> label (names left out are labelled by themselves).
        value: the option shown first (default the first); for a mapping, name -> option.

    Returns:
        ``VBox([controls, output])``: ``panel.children[0]`` is the ``SelectionSlider`` (for one
        sequence) or an ``HBox`` of the controls in the mapping's order (for a mapping);
        ``panel.children[1]`` the ``Output`` holding the current figures (one output each).

    Example (``runs_by_margin`` computed beforehand, margin -> runs)::

        draw = lambda mu: plot_margin_histograms(runs_by_margin[mu], margin=mu)
        draw(1.0)                                   # the logic, testable without widgets
        selection_panel(sorted(runs_by_margin), draw, description="HEM margin μ")
        selection_panel({"loss": ["ce", "la"], "margin": [0.5, 1.0]}, lambda loss, margin: ...,
                        description={"margin": "HEM margin μ"}, value={"margin": 1.0})
    """
    if not callable(draw):
        raise ValueError(f"draw: expected a callable option -> Figure, got {type(draw).__name__}")
    output = widgets.Output()
    if not isinstance(options, Mapping):
        if not isinstance(description, (str, type(None))):
            raise ValueError(f"description: expected the slider's label (str), got {description!r:.80}")
        slider = _control(_check_options(options, "options"), description or "option", value, "value", slider=True)
        slider.observe(lambda change: _show(output, draw(change["new"])), names="value")
        _show(output, draw(slider.value))
        return widgets.VBox([slider, output])
    if not options:
        raise ValueError("options: expected a non-empty mapping name -> options, got an empty one")
    descriptions = {} if description is None else description
    values = {} if value is None else value
    for argument, given in (("description", descriptions), ("value", values)):
        if not isinstance(given, Mapping) or set(given) - set(options):
            raise ValueError(f"{argument}: expected a mapping from names in {list(options)}, got {given!r:.80}")
    controls = {}
    for name, choices in options.items():
        choices = _check_options(choices, f"options[{name!r}]")
        controls[name] = _control(choices, descriptions.get(name, name), values.get(name), f"value[{name!r}]",
                                  slider=all(_is_number(choice) for choice in choices))

    def redraw(_change: Any = None) -> None:
        _show(output, draw(**{name: control.value for name, control in controls.items()}))

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(controls.values())), output])
