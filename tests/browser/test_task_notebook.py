"""04_adversarial_robustness in a real JupyterLab: every cell runs, the results table and the
figures render. Reads the quick sweep from the results folder (``make test`` fills it first).

Its screenshot of a task notebook goes to ``screenshot_dir``: a temporary folder, or ``docs/`` under
``make screenshots``, which renews the README's ``docs/screenshot_adversarial.png``.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SCREENSHOT = "screenshot_adversarial.png"


def test_adversarial_notebook_shows_its_table_and_figures(open_notebook, run_all_cells, screenshot_dir):
    page = open_notebook("04_adversarial_robustness.ipynb")
    errors = run_all_cells(page, timeout_s=400)
    assert errors == [], "cells failed in the browser:\n" + "\n".join(errors)

    tables = page.locator(".jp-OutputArea .jp-RenderedHTMLCommon table")
    assert tables.count() >= 1, "no results table was rendered"
    header = tables.first.inner_text()
    for loss in ("ce", "hem"):
        assert loss in header, header[:500]

    images = page.locator(".jp-OutputArea .jp-RenderedImage img")
    assert images.count() >= 2, f"expected figures, found {images.count()}"
    sizes = images.evaluate_all("(all) => all.map(image => [image.naturalWidth, image.naturalHeight])")
    assert all(width > 200 and height > 100 for width, height in sizes), sizes

    figure = images.nth(0)
    figure.scroll_into_view_if_needed()
    figure.screenshot(path=str(screenshot_dir / SCREENSHOT))
