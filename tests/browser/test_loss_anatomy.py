"""01_loss_anatomy in a real JupyterLab: every cell runs, and the margin slider redraws.

Also writes ``docs/screenshot_loss_anatomy.png``, the README's picture of the panel.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot_loss_anatomy.png"


def _panel_state(panel) -> tuple[str, str]:
    """The panel's readout text and the ``src`` of its figure."""
    return panel.locator(".widget-html").first.inner_text(), panel.locator(".widget-output img").first.get_attribute("src")


def test_loss_anatomy_runs_and_its_margin_slider_redraws(open_notebook, run_all_cells):
    page = open_notebook("01_loss_anatomy.ipynb")
    errors = run_all_cells(page)
    assert errors == [], "cells failed in the browser:\n" + "\n".join(errors)

    panel = page.locator(".jp-OutputArea .widget-vbox").filter(has=page.locator(".widget-slider")).first
    panel.locator(".widget-output img").first.wait_for(timeout=30_000)
    panel.scroll_into_view_if_needed()
    readout, figure = _panel_state(panel)
    assert "margin 1" in readout and "loss =" in readout
    panel.screenshot(path=str(SCREENSHOT))

    handle = panel.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("ArrowLeft")   # margin 1.0 -> 0.5
    page.wait_for_function(
        "([panel, src]) => panel.querySelector('.widget-output img')?.getAttribute('src') !== src",
        arg=[panel.element_handle(), figure], timeout=30_000)
    moved_readout, moved_figure = _panel_state(panel)
    assert "margin 0.5" in moved_readout and moved_readout != readout
    assert moved_figure != figure
