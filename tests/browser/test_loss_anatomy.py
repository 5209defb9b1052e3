"""01_loss_anatomy in a real JupyterLab: every cell runs, and the margin slider redraws.

Its screenshot of the panel goes to ``screenshot_dir``: a temporary folder, or ``docs/`` under
``make screenshots``, which renews the README's ``docs/screenshot_loss_anatomy.png``.
"""
from __future__ import annotations

import time
import pytest

pytestmark = pytest.mark.browser

SCREENSHOT = "screenshot_loss_anatomy.png"
# SHA-256 of the bytes behind an <img>'s src (the Image widget serves its PNG as a blob URL)
IMAGE_DIGEST_JS = """async (image) => {
    const bytes = await (await fetch(image.src)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, "0")).join("");
}"""


def _panel_state(panel) -> tuple[str, str]:
    """The panel's readout text and the digest of its figure's PNG."""
    image = panel.locator("img.widget-image").first
    return panel.locator(".widget-html").first.inner_text(), image.evaluate(IMAGE_DIGEST_JS)


def test_loss_anatomy_runs_and_its_margin_slider_redraws(open_notebook, run_all_cells, screenshot_dir):
    page = open_notebook("01_loss_anatomy.ipynb")
    errors = run_all_cells(page)
    assert errors == [], "cells failed in the browser:\n" + "\n".join(errors)

    panel = page.locator(".jp-OutputArea .widget-vbox").filter(has=page.locator(".widget-slider")).first
    panel.locator("img.widget-image").first.wait_for(timeout=30_000)
    panel.scroll_into_view_if_needed()
    readout, figure = _panel_state(panel)
    assert "margin 1" in readout and "loss =" in readout
    panel.screenshot(path=str(screenshot_dir / SCREENSHOT))

    handle = panel.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("ArrowLeft")   # margin 1.0 -> 0.5
    deadline = time.monotonic() + 30
    moved_readout, moved_figure = _panel_state(panel)
    while (moved_readout == readout or moved_figure == figure) and time.monotonic() < deadline:
        time.sleep(0.25)
        moved_readout, moved_figure = _panel_state(panel)
    assert "margin 0.5" in moved_readout and moved_readout != readout, moved_readout
    assert moved_figure != figure, "the figure did not change when the margin slider moved"
