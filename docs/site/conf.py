"""Sphinx configuration of the hemlab site (``make docs``; ``docs/site.md`` says why this stack).

Sources are staged by ``docs/site/build.py``; this file only configures the rendering.
Nothing is fetched from the network, at build time or when a page is viewed: the PyData
theme ships its fonts and scripts, formulas are rendered to MathML while building
(``latex2mathml``, no MathJax), and the widget manager is the pinned npm bundle that
``build.py`` copies into ``$HEMLAB_WIDGETS_STATIC`` (``bundle_widgets``), served from the
site's own ``_static/widgets/``: it renders the widget state the executed notebooks embed.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from docutils import nodes
from latex2mathml.converter import convert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from formulas import add_formula  # noqa: E402

project = "hemlab"
author = "the hemlab authors"
copyright = "2026, the hemlab authors"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header"]

myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

nb_execution_mode = "off"          # build.py executed the notebooks already
WIDGETS_STATIC = os.environ.get("HEMLAB_WIDGETS_STATIC")
if not WIDGETS_STATIC:
    raise RuntimeError("HEMLAB_WIDGETS_STATIC is not set: build the site with docs/site/build.py (make docs), "
                       "which bundles the widget manager")
nb_ipywidgets_js = {"widgets/embed.js": {}}       # the local bundle; never MyST-NB's CDN default
nb_merge_streams = True

autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True

html_theme = "pydata_sphinx_theme"
html_title = "hemlab"
html_static_path = ["static", WIDGETS_STATIC]
html_css_files = ["site.css"]
html_show_sourcelink = False
html_copy_source = False
html_sidebars = {"index": [], "verdicts": []}      # the verdict tables need the width
html_theme_options = {
    "github_url": "https://github.com/hemlab/hemlab",
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
    "secondary_sidebar_items": {"**": ["page-toc"], "index": [], "verdicts": []},
}
html_math_renderer = "mathml"


def _mathml(latex: str, display: str) -> str:
    try:
        return convert(latex, display=display)
    except Exception as error:
        raise ValueError(f"formula {latex!r} cannot be rendered: {error}") from error


def _visit_math(self, node: nodes.math) -> None:
    self.body.append(_mathml(node.astext(), "inline"))
    raise nodes.SkipNode


def _visit_displaymath(self, node: nodes.math_block) -> None:
    self.body.append(f'<div class="math-display">{_mathml(node.astext(), "block")}</div>')
    raise nodes.SkipNode


def setup(app):
    """Register the build-time MathML renderer and the loss formulas of the API pages."""
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_displaymath, None))
    app.connect("autodoc-process-docstring", add_formula)
