"""The documentation site in a real browser: ``site/`` (built by ``make docs``) served on a
loopback port, its landing page, a task notebook page, the API entry of ``hem_loss`` and the
search. Screenshots go to ``screenshot_dir`` (a temporary folder).
"""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Iterator

import pytest

pytestmark = pytest.mark.browser

LOADED_IMAGES_JS = "(all) => all.map(image => [image.complete, image.naturalWidth, image.naturalHeight])"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    """``built_site`` served over HTTP on a free loopback port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser):
    """A fresh page that fails the test on any request to another host."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside = []
    context.route(lambda url: not url.startswith("http://127.0.0.1:"),
                  lambda route: (outside.append(route.request.url), route.abort()))
    yield context.new_page()
    context.close()
    assert outside == [], f"the site asked for resources from other hosts: {outside}"


def _loaded(images) -> list:
    return images.evaluate_all(LOADED_IMAGES_JS)


def test_landing_page_shows_the_summary_figure_and_the_verdicts(page, site_url, screenshot_dir):
    page.goto(f"{site_url}/index.html")
    assert "hemlab" in page.locator("article h1").first.inner_text()
    assert "make demo" in page.locator("article").inner_text()
    figure = page.locator("article img[alt^='summary figure']")
    figure.scroll_into_view_if_needed()
    assert [(done, width > 300) for done, width, _ in _loaded(figure)] == [(True, True)]
    rows = page.locator("article table tbody tr")
    assert rows.count() >= 5 and "inconclusive" in page.locator("article table").inner_text()
    page.screenshot(path=str(screenshot_dir / "site_landing.png"), full_page=True)


def test_task_notebook_page_shows_its_figures(page, site_url, screenshot_dir):
    page.goto(f"{site_url}/notebooks/04_adversarial_robustness.html")
    assert "Colab" in page.locator("article .admonition").first.inner_text()
    images = page.locator("article .cell_output img")
    assert images.count() >= 2, images.count()
    images.last.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('article .cell_output img')].every(i => i.complete)")
    sizes = _loaded(images)
    assert all(done and width > 200 and height > 100 for done, width, height in sizes), sizes
    assert page.locator("article .cell_output table").count() >= 1
    images.first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "site_notebook.png"))


def test_hem_loss_api_entry_shows_its_formula(page, site_url, screenshot_dir):
    page.goto(f"{site_url}/api/losses.html#hemlab.losses.hem_loss")
    entry = page.locator("dl.py.function").filter(has=page.locator("dt#hemlab\\.losses\\.hem_loss"))
    assert entry.count() == 1
    assert "margin" in entry.locator("dd").first.inner_text()
    formulas = entry.locator("math")
    assert formulas.count() >= 4
    boxes = [formulas.nth(i).bounding_box() for i in range(formulas.count())]
    assert all(box and box["width"] > 40 and box["height"] > 10 for box in boxes), boxes
    page.set_viewport_size({"width": 1400, "height": 1800})
    entry.scroll_into_view_if_needed()
    entry.screenshot(path=str(screenshot_dir / "site_hem_loss.png"))


def test_search_for_margin_finds_the_losses(page, site_url, screenshot_dir):
    page.goto(f"{site_url}/search.html?q=margin")
    page.locator("#search-results .search-summary").wait_for(timeout=30_000)
    hrefs = page.locator("#search-results li > a").evaluate_all("(all) => all.map(a => a.getAttribute('href'))")
    assert "api/losses.html#hemlab.losses.multi_margin_loss" in hrefs, hrefs
    assert "api/losses.html" in hrefs, hrefs
    page.screenshot(path=str(screenshot_dir / "site_search.png"))
    page.locator("#search-results li > a[href='api/losses.html']").click()
    page.locator("dt#hemlab\\.losses\\.hem_loss").wait_for()


def test_verdicts_page_shows_the_table_method_and_figures(page, site_url, screenshot_dir):
    page.goto(f"{site_url}/verdicts.html")
    article = page.locator("article")
    assert "paired by seed" in article.inner_text()
    images = article.locator("img")
    images.last.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('article img')].every(i => i.complete)")
    sizes = _loaded(images)
    assert len(sizes) >= 2 and all(done and width > 300 for done, width, _ in sizes), sizes
    page.screenshot(path=str(screenshot_dir / "site_verdicts.png"), full_page=True)


NO_PAGE_SCROLL_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
# a table's box and the theme's scroll container inside it: [overflow in px, overflow-x style]
OVERFLOW_JS = ("(box) => [box, ...box.querySelectorAll('.pst-scrollable-table-container')]"
               ".map(element => [element.scrollWidth - element.clientWidth, getComputedStyle(element).overflowX])")


def test_landing_verdict_table_fits_a_1400_pixel_window(page, site_url, screenshot_dir):
    page.goto(f"{site_url}/index.html")
    table = page.locator("article .verdicts-table.curated table")
    table.scroll_into_view_if_needed()
    assert page.evaluate(NO_PAGE_SCROLL_JS) <= 0, "the landing page scrolls sideways at 1400 px"
    overflow = page.locator("article .verdicts-table.curated").evaluate(OVERFLOW_JS)
    assert all(pixels <= 0 for pixels, _ in overflow), f"the curated verdict table overflows its column: {overflow}"
    headers = table.locator("thead th").all_inner_texts()
    assert [header.strip() for header in headers][:2] == ["claim", "what the paper says"], headers
    widths = table.locator("thead th").evaluate_all("(all) => all.map(th => th.getBoundingClientRect().width)")
    assert min(widths) > 45, widths              # no header broken letter by letter
    table.screenshot(path=str(screenshot_dir / "site_verdict_table.png"))


def test_full_verdict_table_scrolls_inside_its_box(page, site_url):
    page.goto(f"{site_url}/verdicts.html")
    assert page.evaluate(NO_PAGE_SCROLL_JS) <= 0
    overflow = page.locator("article .verdicts-table.full").evaluate(OVERFLOW_JS)
    assert any(pixels > 0 and style == "auto" for pixels, style in overflow), overflow


def test_wide_notebook_table_scrolls_instead_of_being_cut(page, site_url):
    page.goto(f"{site_url}/notebooks/03_unknown_class_rejection.html")
    assert page.evaluate(NO_PAGE_SCROLL_JS) <= 0
    wide = page.locator("article .cell_output .output").evaluate_all(
        "(all) => all.filter(box => box.querySelector('table') && box.scrollWidth > box.clientWidth)"
        ".map(box => getComputedStyle(box).overflowX)")
    assert wide and set(wide) == {"auto"}, wide


def test_notebook_formula_renders_as_math(page, site_url, screenshot_dir):
    page.goto(f"{site_url}/notebooks/03_unknown_class_rejection.html")
    formulas = page.locator("article math")
    assert formulas.count() >= 5, formulas.count()
    energy = page.locator("article math").filter(has=page.locator("mi", has_text="E")).first
    energy.scroll_into_view_if_needed()
    box = energy.bounding_box()
    assert box and box["width"] > 60 and box["height"] > 10, box
    assert "`" not in (energy.text_content() or "")
    energy.locator("xpath=ancestor::li[1]").screenshot(path=str(screenshot_dir / "site_formula.png"))


def test_precomputed_slider_on_the_site_changes_its_figure(page, site_url, screenshot_dir):
    page.goto(f"{site_url}/notebooks/02_clean_and_corrupted.html")
    panel = page.locator("article .widget-vbox").filter(has=page.locator(".widget-slider")).filter(
        has=page.locator(".widget-image")).first
    panel.wait_for(timeout=30_000)
    panel.scroll_into_view_if_needed()
    shown_js = ("(panel) => [...panel.querySelectorAll('.widget-image')].filter(image => image.offsetParent !== null)"
                ".map(image => [image.src, image.naturalWidth])")
    readout = panel.locator(".widget-readout")
    before, label = panel.evaluate(shown_js), readout.inner_text()
    assert len(before) == 1 and before[0][1] > 200, before
    panel.screenshot(path=str(screenshot_dir / "site_slider_before.png"))
    handle = panel.locator(".noUi-handle, .ui-slider-handle").first
    handle.focus()
    handle.press("ArrowRight")
    page.wait_for_function(f"(panel) => ({shown_js})(panel)[0]?.[0] !== {before[0][0]!r}", arg=panel.element_handle(),
                           timeout=10_000)
    after = panel.evaluate(shown_js)
    assert len(after) == 1 and after[0][0] != before[0][0] and after[0][1] > 200, (before, after)
    assert readout.inner_text() != label
    panel.screenshot(path=str(screenshot_dir / "site_slider_after.png"))
