"""The documentation site: the builder's helpers on small inputs, and the site ``make docs`` built.

The checker is proven on a two-page site it must reject (a broken anchor, a script from a
CDN, a notebook page short of a figure); the built site must pass it, hold every notebook,
API module and guide page, and show every figure its notebooks drew.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest

PROJECT = Path(__file__).resolve().parents[2]
MODULES = ("losses", "data", "models", "train", "inference", "metrics", "attacks", "tasks", "experiments", "stats",
           "anatomy", "viz")


def test_markdown_table_renders_whatever_columns_exist(site_build):
    frame = pd.DataFrame({"claim": ["1", "2b"], "a new column": ["x | y", ""], "diff": ["0.008888888888888946", "nan"],
                          "n": ["3", "2.0"], "verdict": ["supported", "inconclusive"]})
    table = site_build.markdown_table(frame).splitlines()
    assert table[0] == "| claim | a new column | diff | n | verdict |"
    assert table[1] == "|---|---|---|---|---|"
    assert table[2] == "| 1 | x \\| y | 0.008889 | 3 | supported |"
    assert table[3] == "| 2b |  |  | 2 | inconclusive |"
    assert len(table) == 4


def test_guide_links_to_repository_files_point_to_github(site_build, tmp_path):
    page = PROJECT / "docs" / "tasks.md"
    rewrite = lambda text: site_build.re.sub(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)",
                                              lambda m: site_build._link_outside_site(m, page), text)
    assert rewrite("[spec](../hemlab/tasks/spec.py#L3)") == \
        f"[spec]({site_build.REPO_URL}/blob/main/hemlab/tasks/spec.py#L3)"
    assert rewrite("[paper](paper.md#the-losses)") == "[paper](paper.md#the-losses)"
    assert rewrite("[web](https://example.org/a.md)") == "[web](https://example.org/a.md)"


def _tiny_site(root: Path, image_count: int) -> Path:
    (root / "notebooks").mkdir(parents=True)
    (root / "_images").mkdir()
    (root / "_images" / "a.png").write_bytes(b"png")
    images = "".join('<img src="../_images/a.png">' for _ in range(image_count))
    (root / "index.html").write_text('<h1 id="top">x</h1><a href="notebooks/nb.html#figures">nb</a>')
    (root / "notebooks" / "nb.html").write_text(f'<h2 id="figures">f</h2>{images}<a href="../index.html#top">up</a>')
    return root


def test_check_site_accepts_a_sound_site(site_build, tmp_path):
    assert site_build.check_site(_tiny_site(tmp_path, 2), {"nb": 2}) == []


def test_check_site_finds_broken_anchors_remote_scripts_and_missing_figures(site_build, tmp_path):
    site = _tiny_site(tmp_path, 1)
    (site / "index.html").write_text('<script src="https://cdn.example.org/x.js"></script>'
                                     '<a href="notebooks/nb.html#nowhere">nb</a><a href="gone.html">x</a>')
    problems = "\n".join(site_build.check_site(site, {"nb": 2}))
    assert "loads https://cdn.example.org/x.js from another host" in problems
    assert "notebooks/nb.html#nowhere points to a missing anchor" in problems
    assert "gone.html points to a missing file" in problems
    assert "notebooks/nb.html: 1 images, the notebook has 2 image outputs" in problems


def test_notebook_image_counts_count_image_outputs(site_build, tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": "AA==", "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stdout", text="hi")])])
    nbformat.write(notebook, tmp_path / "demo.ipynb")
    assert site_build.notebook_image_counts(tmp_path) == {"demo": 1}


def test_bad_parameter_override_is_refused_in_one_line(site_build):
    with pytest.raises(SystemExit, match="--param: expected NAME=PYTHON_EXPRESSION, got 'seeds'"):
        site_build._parameters(["seeds"])


def test_built_site_is_sound_and_complete(site_build, built_site):
    executed = PROJECT / "build" / "docs" / "executed"
    counts = site_build.notebook_image_counts(executed) if executed.exists() else {}
    assert site_build.check_site(built_site, counts) == []
    stems = sorted(path.stem for path in (PROJECT / "notebooks").glob("*.ipynb"))
    for stem in stems:
        assert (built_site / "notebooks" / f"{stem}.html").exists(), stem
    assert set(counts) == set(stems), "build/docs/executed does not hold every notebook"
    assert sum(counts.values()) >= len(stems), "the executed notebooks drew almost no figures"
    for module in MODULES:
        assert f'id="module-hemlab.{module}"' in (built_site / "api" / f"{module}.html").read_text(), module
    for page in (PROJECT / "docs").glob("*.md"):
        assert (built_site / "guide" / f"{page.stem}.html").exists(), page.name


def test_differences_are_shown_to_the_precision_of_their_interval(site_build):
    show = site_build.difference_with_interval
    assert show("-0.01288", "-0.021769", "-0.003991") == "-0.0129 [-0.0218, -0.0040]"   # half-width 0.0089
    assert show("0.0996", "0.068821", "0.130299") == "+0.100 [+0.069, +0.130]"          # half-width 0.031
    assert show("3.2", "2.161149", "4.238851") == "+3.2 [+2.2, +4.2]"                   # half-width 1.04
    assert show("-0.2006", "-0.551354", "0.150154") == "-0.20 [-0.55, +0.15]"
    assert show("0.5", "nan", "nan") == "+0.500 (no interval)"
    assert show("1.14571", "1.130582", "1.148477", signed=False) == "1.1457 [1.1306, 1.1485]"
    assert show("", "", "") == "" and show("nan", "0", "1") == ""


def test_curated_verdicts_keep_one_row_per_claim_in_six_columns(site_build):
    frame = pd.DataFrame({"claim": ["1", "7"], "statement": ["CE slightly better", "HEM faster"],
                          "subject": ["hem", "hem"], "comparator": ["ce", "ce"], "metric": ["accuracy", "time_ratio"],
                          "diff_mean": ["-0.0129", "1.1457"], "diff_ci_low": ["-0.0218", "1.1306"],
                          "diff_ci_high": ["-0.0040", "1.1485"], "verdict": ["inconclusive", "contradicted"],
                          "why": ["the interval reaches into both regions " * 4, "ratio above 0.90"],
                          "p_support": ["0.1", ""], "holds_for_margins": ["0.5", ""]})
    curated = site_build.curated_verdicts(frame)
    assert list(curated.columns) == list(site_build.CURATED.values())
    assert curated.iloc[0].tolist()[:5] == ["1", "CE slightly better", "hem - ce (accuracy)",
                                            "-0.0129 [-0.0218, -0.0040]", "inconclusive"]
    assert curated.iloc[1].tolist()[2:4] == ["hem / ce (time ratio)", "1.1457 [1.1306, 1.1485]"]
    assert len(curated.iloc[0, 5]) <= 90 and curated.iloc[0, 5].endswith("...")
    assert curated.iloc[1, 5] == "ratio above 0.90"


def _verdicts() -> pd.DataFrame:
    results = Path(os.environ.get("HEMLAB_RESULTS", PROJECT / "results"))
    return pd.read_csv(results / "quick" / "verdicts.csv", dtype=str, keep_default_na=False)


def test_built_site_shows_the_verdicts_csv(site_build, built_site):
    verdicts = _verdicts()
    full, landing = (built_site / "verdicts.html").read_text(), (built_site / "index.html").read_text()
    for column in verdicts.columns:
        assert f"<p>{column}</p>" in full, column
    for header in site_build.CURATED.values():
        assert f"<p>{html.escape(header)}</p>" in landing, header
    assert "<p>p_support_adj</p>" not in landing          # the landing page is curated, not the whole CSV
    for page in (full, landing):
        assert all(f"<p>{html.escape(value)}</p>" in page for value in verdicts["claim"] if value)
        assert 'verdicts.csv"' in page and "download" in page
    assert list((built_site / "_downloads").rglob("verdicts.csv")), "the CSV is not served beside the pages"


def test_built_site_bundles_the_widget_manager_and_embeds_widget_state(built_site):
    bundle = built_site / "_static" / "widgets" / "embed.js"
    assert bundle.is_file() and bundle.stat().st_size > 100_000
    page = (built_site / "notebooks" / "02_clean_and_corrupted.html").read_text()
    assert 'src="../_static/widgets/embed.js' in page and "jsdelivr" not in page and "unpkg" not in page
    assert 'type="application/vnd.jupyter.widget-state+json"' in page
    assert page.count('type="application/vnd.jupyter.widget-view+json"') >= 2
    assert "On this page the controls above do not redraw" in page


def _notebook(path: Path, *sources: str, tagged: int = 0) -> Path:
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    cells[tagged].metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}), path)
    return path


def test_execute_notebooks_applies_parameters_and_fails_on_an_error_cell(site_build, tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "x = 1", "print(x * 2)")
    bad = _notebook(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('broken on purpose')")
    out = tmp_path / "executed"
    seconds = site_build.execute_notebooks([good], out, jobs=1, parameters={"x": "21"})
    assert set(seconds) == {"good.ipynb"}
    executed = nbformat.read(out / "good.ipynb", as_version=4)
    assert executed.cells[1].metadata["tags"] == ["injected-parameters"]
    assert executed.cells[2].outputs[0]["text"] == "42\n"
    with pytest.raises(RuntimeError, match="notebook bad.ipynb failed while building the docs"):
        site_build.execute_notebooks([bad], out, jobs=1, parameters={})


def test_staged_notebook_says_under_each_kernel_only_panel_what_it_would_show(site_build, tmp_path):
    panel = nbformat.v4.new_code_cell("selection_panel(...)", metadata={"hemlab": {"static_note": "It would redraw X."}})
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1"),
                                               panel, nbformat.v4.new_code_cell("y = 2")])
    nbformat.write(notebook, tmp_path / "nb.ipynb")
    site_build._stage_notebook(tmp_path / "nb.ipynb", tmp_path / "staged.ipynb")
    cells = nbformat.read(tmp_path / "staged.ipynb", as_version=4).cells
    sources = [cell.source for cell in cells]
    index = sources.index("selection_panel(...)")
    assert cells[index + 1].cell_type == "markdown" and "It would redraw X." in cells[index + 1].source
    assert sum("controls above do not redraw" in source for source in sources) == 1
    assert "Colab" in cells[1].source and sources[-1] == "y = 2"


def test_exercise_solutions_are_collapsed_on_their_pages(built_site):
    for path in sorted((PROJECT / "notebooks").glob("0[2-7]_*.ipynb")):
        solutions = sum("solution" in cell.metadata.get("tags", []) for cell in nbformat.read(path, as_version=4).cells)
        page = (built_site / "notebooks" / f"{path.stem}.html").read_text()
        assert solutions >= 2 and page.count("tag_hide-cell tag_solution") == solutions, path.stem
        assert page.count('<details class="admonition hide') >= solutions, path.stem
