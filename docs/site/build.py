"""Build the documentation site offline: ``python docs/site/build.py`` (``make docs``).

Four steps, each one function:

1. :func:`execute_notebooks` runs every ``notebooks/*.ipynb`` in a fresh kernel, several at
   once, against the results store (``$HEMLAB_RESULTS``, filled by ``hemlab paper --preset
   quick``), and writes the executed copies into the staging folder; a cell that fails stops
   the build with its traceback. The committed notebooks stay without outputs.
2. :func:`stage` assembles the Sphinx sources in ``build/docs/src``: the pages of
   ``docs/site/pages`` (the landing page and the verdicts page are Jinja templates filled
   from ``<results>/quick``: its ``verdicts.csv``, curated for the landing page and whole on
   the verdicts page, and every figure), the user guide from ``docs/*.md``, the results'
   figures and CSV, and the executed notebooks with a "run it yourself" note and, under each
   control panel that needs a kernel, the one line its cell's metadata says it would show.
3. :func:`bundle_widgets` installs the pinned widget manager (``docs/site/widgets``:
   ``@jupyter-widgets/html-manager`` from the npm registry, ``npm ci`` against its lock file)
   and copies its browser bundle into the site's static files, so the widgets whose state the
   executed notebooks embed render with no CDN, and the precomputed ones move.
4. :func:`sphinx_build` renders them with ``docs/site/conf.py`` into ``site/``, warnings as
   errors; :func:`check_site` then reads the HTML back and fails on a broken internal link or
   anchor, a resource loaded from another host, or a notebook page missing a figure.

The executed notebooks are kept in ``build/docs/executed``; ``--executed DIR`` reuses such a
folder instead of executing again, so a change of the pages alone rebuilds in seconds.
"""
from __future__ import annotations

import argparse
import html.parser
import inspect
import math
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

PROJECT = Path(__file__).resolve().parents[2]
SITE_SOURCES = Path(__file__).resolve().parent
PRESET = "quick"
REPO_URL = "https://github.com/hemlab/hemlab"
COLAB_URL = "https://colab.research.google.com/github/hemlab/hemlab/blob/main/notebooks/{name}"
COLAB_BADGE = re.compile(r"\[!\[Open in Colab\]\([^)]*\)\]\([^)]*\)\s*")
SUMMARY_FIGURE = "summary.png"
CELL_TIMEOUT_S = 1800
WIDGETS = SITE_SOURCES / "widgets"
WIDGET_BUNDLE = "node_modules/@jupyter-widgets/html-manager/dist"
WIDGET_FILES = ("embed.js", "embed.js.LICENSE.txt", "*.woff2", "*.woff", "*.ttf", "*.eot", "*.svg")
STATIC_NOTE = "static_note"
"""Key of a code cell's ``hemlab`` metadata: what its controls would show with a kernel."""
LOADED_LINKS = {"stylesheet", "preload", "modulepreload", "icon", "manifest", "prefetch"}


# --------------------------------------------------------------------------- notebooks
def _parameters_cell(values: dict[str, str]) -> dict:
    import nbformat

    source = "# Parameters set by the docs build\n" + "".join(f"{name} = {value}\n" for name, value in values.items())
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})


def _execute_one(source: Path, target: Path, workdir: Path, parameters: dict[str, str]) -> tuple[str, float]:
    """Execute ``source`` in a fresh kernel started in ``workdir``; write it to ``target``."""
    import nbformat
    from nbclient import NotebookClient

    started = time.perf_counter()
    notebook = nbformat.read(source, as_version=4)
    if parameters:
        index = next((i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])), None)
        if index is None:
            raise ValueError(f"--param: {source.name} has no cell tagged 'parameters'")
        notebook.cells.insert(index + 1, _parameters_cell(parameters))
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    nbformat.write(notebook, target)
    return source.name, time.perf_counter() - started


def execute_notebooks(sources: list[Path], out_dir: Path, *, jobs: int, parameters: dict[str, str]) -> dict[str, float]:
    """Execute ``sources`` into ``out_dir``, ``jobs`` kernels at a time; ``{name: seconds}``.

    Kernels inherit this process's environment with one OpenMP thread each, so ``jobs``
    notebooks share the cores without oversubscribing them. The first failing cell raises
    ``nbclient.exceptions.CellExecutionError`` naming the notebook and showing the traceback.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HEMLAB_QUICK", "1")
    seconds: dict[str, float] = {}
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_execute_one, path, out_dir / path.name, out_dir, parameters): path for path in sources}
        for future in as_completed(futures):
            path = futures[future]
            try:
                name, elapsed = future.result()
            except Exception as error:
                for other in futures:
                    other.cancel()
                raise RuntimeError(f"notebook {path.name} failed while building the docs:\n{error}") from error
            seconds[name] = elapsed
            print(f"  executed {name} in {elapsed:.0f} s", flush=True)
    return seconds


# --------------------------------------------------------------------------- staging
def _markdown_cell(value: str) -> str:
    """A CSV cell for a Markdown table: a number with 4 significant digits (a whole one
    without decimals), anything else as written, pipes escaped."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text.replace("|", "\\|").replace("\n", " ")
    if number != number:
        return ""
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:.4g}"


def markdown_table(frame) -> str:
    """Every column of ``frame`` (read as strings) as a Markdown pipe table."""
    header = "| " + " | ".join(_markdown_cell(column) for column in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_markdown_cell(value) for value in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _decimals(half_width: float) -> int:
    """Decimals that show an interval's half-width to two significant digits (0 to 6)."""
    if not half_width > 0:
        return 3
    return min(6, max(0, 1 - math.floor(math.log10(half_width))))


def difference_with_interval(mean: str, low: str, high: str, signed: bool = True) -> str:
    """``"+0.008 [-0.004, +0.020]"``: a mean difference and its 95% interval, rounded to the
    precision the interval's width justifies (``signed=False`` for a ratio: no ``+``); an
    empty string when the mean is missing."""
    try:
        values = [float(value) for value in (mean, low, high)]
    except ValueError:
        values = []
    if not values or values[0] != values[0]:
        return ""
    sign = "+" if signed else ""
    if any(value != value for value in values[1:]):
        return f"{values[0]:{sign}.3f} (no interval)"
    digits = _decimals((values[2] - values[1]) / 2)
    low, mean, high = (f"{value:{sign}.{digits}f}" for value in (values[1], values[0], values[2]))
    return f"{mean} [{low}, {high}]"


CURATED = {"claim": "claim", "statement": "what the paper says", "compared": "compared",
           "difference": "difference [95% interval]", "verdict": "verdict", "why": "why"}
"""The landing page's verdict columns, in order, and their headers."""


def curated_verdicts(frame):
    """The landing page's verdict table: per claim, what it says, which losses are compared
    (subject - comparator, on which metric; subject / comparator for a ratio), the mean paired
    difference (or ratio) with its 95% interval at the precision the interval justifies, the
    verdict and a short why."""
    import pandas as pd

    def is_ratio(row) -> bool:
        return str(row.get("metric", "")).endswith("ratio")

    def compared(row) -> str:
        operator = "/" if is_ratio(row) else "-"
        pair = f"{row.get('subject', '')} {operator} {row.get('comparator', '')}".strip(f" {operator}")
        metric = str(row.get("metric", "")).replace("_", " ")
        return f"{pair} ({metric})" if metric else pair

    def why(row) -> str:
        text = str(row.get("why", "")).strip()
        return text if len(text) <= 90 else text[:87].rsplit(" ", 1)[0] + " ..."

    rows = [{"claim": row.get("claim", ""), "statement": row.get("statement", ""), "compared": compared(row),
             "difference": difference_with_interval(row.get("diff_mean", ""), row.get("diff_ci_low", ""),
                                                    row.get("diff_ci_high", ""), signed=not is_ratio(row)),
             "verdict": row.get("verdict", ""), "why": why(row)}
            for row in frame.to_dict("records")]
    return pd.DataFrame(rows, columns=list(CURATED)).rename(columns=CURATED)


def _read_verdicts(results: Path):
    import pandas as pd

    path = results / "verdicts.csv"
    if not path.exists():
        raise FileNotFoundError(f"--results: no {path}; run `hemlab paper --preset {PRESET}` (make demo) first")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _method() -> tuple[str, str]:
    """The statistical method behind the verdicts: the docstring of the module that defines
    ``hemlab.stats.verdicts``, and that module's name."""
    from hemlab import stats

    module = sys.modules[stats.verdicts.__module__]
    return module.__name__, inspect.cleandoc(module.__doc__ or "")


def _guide_pages() -> list[Path]:
    return sorted(path for path in (PROJECT / "docs").glob("*.md"))


def _link_outside_site(match: re.Match, page: Path) -> str:
    """A relative link of a guide page to a repository file the site does not hold -> its GitHub URL."""
    text, target = match.group(1), match.group(2)
    if re.match(r"^[a-z]+:|^#|^/", target):
        return match.group(0)
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve()
    if resolved.parent == page.parent and resolved.suffix == ".md":
        return match.group(0)
    if not resolved.exists() or PROJECT not in resolved.parents:
        return match.group(0)
    relative = resolved.relative_to(PROJECT).as_posix()
    kind = "tree" if resolved.is_dir() else "blob"
    return f"[{text}]({REPO_URL}/{kind}/main/{relative}{'#' + anchor if anchor else ''})"


def _stage_notebook(executed: Path, target: Path) -> None:
    """Copy an executed notebook, its Colab badge replaced by a "run it yourself" note."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    first = notebook.cells[0]
    if first.cell_type == "markdown":
        first.source = COLAB_BADGE.sub("", first.source).rstrip()
    colab = COLAB_URL.format(name=executed.name)
    note = (":::{note}\n"
            f"This page was executed while the site was built, against the `{PRESET}` sweep's results. "
            f"Its precomputed sliders move here; the other controls need a live kernel, and a line under "
            f"each says what it would show: [open it in Colab]({colab}), or run it locally with "
            f"`make lab` (or `jupyter lab notebooks/{executed.name}` in an environment with hemlab installed).\n"
            ":::")
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(note))
    for index in reversed(range(len(notebook.cells))):
        line = notebook.cells[index].metadata.get("hemlab", {}).get(STATIC_NOTE)
        if line:
            notebook.cells.insert(index + 1, nbformat.v4.new_markdown_cell(
                f":::{{admonition}} On this page the controls above do not redraw\n:class: static-note\n{line}\n:::"))
    nbformat.write(notebook, target)


def stage(src: Path, executed: Path, results: Path) -> None:
    """Assemble the Sphinx sources in ``src`` (emptied first)."""
    import jinja2

    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(SITE_SOURCES / "pages", src)
    guide_pages, notebooks = _guide_pages(), sorted(executed.glob("*.ipynb"))
    figures = sorted(results.glob("*.png"))
    if not (results / SUMMARY_FIGURE).exists():
        raise FileNotFoundError(f"--results: no {results / SUMMARY_FIGURE}; run `hemlab paper --preset {PRESET}` first")
    method_module, method = _method()
    verdicts = _read_verdicts(results)
    context = {"verdicts_table": markdown_table(verdicts), "curated_table": markdown_table(curated_verdicts(verdicts)),
               "method": method,
               "method_module": method_module, "preset": PRESET, "figures": [figure.name for figure in figures], "guide_pages": [page.stem for page in guide_pages],
               "notebooks": [path.stem for path in notebooks]}
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(src), undefined=jinja2.StrictUndefined,
                                     keep_trailing_newline=True)
    for template in sorted(src.rglob("*.md")):
        relative = template.relative_to(src).as_posix()
        template.write_text(environment.get_template(relative).render(context))
    for page in guide_pages:
        text = re.sub(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)", lambda m, p=page: _link_outside_site(m, p), page.read_text())
        (src / "guide" / page.name).write_text(text)
    for image in (PROJECT / "docs").glob("*.png"):
        shutil.copy2(image, src / "guide" / image.name)
    (src / "_results").mkdir()
    for figure in [*figures, results / "verdicts.csv"]:
        shutil.copy2(figure, src / "_results" / figure.name)
    for notebook in notebooks:
        _stage_notebook(notebook, src / "notebooks" / notebook.name)


# --------------------------------------------------------------------------- widgets
def bundle_widgets(work: Path) -> Path:
    """The widget manager's browser bundle, from the pinned npm packages of ``docs/site/widgets``.

    Runs ``npm ci`` (the lock file's exact versions and hashes, from the npm cache when it has
    them) in ``work/widgets``, unless an earlier build installed the same lock there, and
    copies ``embed.js`` with its fonts into ``work/widgets/static/widgets``. Returns that
    static folder (``conf.py`` adds it to the site's static files, read from
    ``$HEMLAB_WIDGETS_STATIC``).
    """
    folder, lock = work / "widgets", (WIDGETS / "package-lock.json").read_bytes()
    installed = folder / "node_modules" / ".package-lock.json"
    if not (installed.exists() and (folder / "package-lock.json").exists()
            and (folder / "package-lock.json").read_bytes() == lock):
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("the site's widgets need npm (Node.js) to install the pinned widget manager: "
                               "apt-get install npm, or see docs/site.md")
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(WIDGETS / name, folder / name)
        subprocess.run([npm, "ci", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=folder, check=True)
    static = folder / "static"
    if static.exists():
        shutil.rmtree(static)
    (static / "widgets").mkdir(parents=True)
    for pattern in WIDGET_FILES:
        for path in (folder / WIDGET_BUNDLE).glob(pattern):
            shutil.copy2(path, static / "widgets" / path.name)
    if not (static / "widgets" / "embed.js").is_file():
        raise RuntimeError(f"the widget manager's bundle is missing from {folder / WIDGET_BUNDLE}")
    return static


# --------------------------------------------------------------------------- sphinx and checks
def sphinx_build(src: Path, site: Path, work: Path) -> None:
    """``sphinx-build -W --keep-going`` of ``src`` with ``docs/site/conf.py``, then copied to ``site``.

    Sphinx writes into ``work/html`` (MyST-NB puts its files beside that folder, in
    ``work/jupyter_execute``), so nothing lands beside ``site``.
    """
    from sphinx.cmd.build import build_main

    html = work / "html"
    for folder in (html, site):
        if folder.exists():
            shutil.rmtree(folder)
    status = build_main(["-b", "html", "-W", "--keep-going", "-q", "-E", "-c", str(SITE_SOURCES),
                         "-d", str(work / "doctrees"), str(src), str(html)])
    if status:
        raise RuntimeError(f"sphinx-build failed (status {status}); the warnings above say why")
    shutil.copytree(html, site)


class _PageParser(html.parser.HTMLParser):
    """The ids, links and loaded resources of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.resources: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in ("script", "img", "iframe") and attributes.get("src"):
            self.resources.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            loaded = set((attributes.get("rel") or "").split()) & LOADED_LINKS
            (self.resources if loaded else self.links).append(attributes["href"])
        if tag == "img" and attributes.get("src"):
            self.images.append(attributes["src"])


@dataclass
class Page:
    """One parsed HTML page of the site."""

    path: Path
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


def read_site(site: Path) -> dict[Path, Page]:
    """Every ``*.html`` under ``site``, parsed."""
    pages = {}
    for path in sorted(site.rglob("*.html")):
        if path.relative_to(site).parts[0] == "_static":     # the theme's templates, not pages
            continue
        parser = _PageParser()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = Page(path, parser.ids, parser.links, parser.resources, parser.images)
    return pages


def _is_external(url: str) -> bool:
    return bool(urlsplit(url).scheme) or url.startswith("//")


def notebook_image_counts(executed: Path) -> dict[str, int]:
    """``{notebook stem: number of image outputs}`` of the executed notebooks in ``executed``."""
    import nbformat

    counts = {}
    for path in sorted(executed.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        counts[path.stem] = sum(1 for cell in notebook.cells if cell.cell_type == "code"
                                for output in cell.get("outputs", [])
                                if any(key.startswith("image/") for key in output.get("data", {})))
    return counts


def check_site(site: Path, image_counts: dict[str, int]) -> list[str]:
    """Problems of the built ``site``: broken internal links and anchors, resources loaded
    from another host, notebook pages with fewer images than their notebook's image outputs,
    images that are missing or empty. An empty list means the site is sound."""
    pages = read_site(site)
    problems = []
    for page in pages.values():
        name = page.path.relative_to(site).as_posix()
        for url in page.resources:
            if _is_external(url) and not url.startswith("data:"):
                problems.append(f"{name}: loads {url} from another host")
            elif not url.startswith("data:"):
                target = (page.path.parent / unquote(urlsplit(url).path)).resolve()
                if not target.is_file() or target.stat().st_size == 0:
                    problems.append(f"{name}: resource {url} is missing or empty")
        for url in page.links:
            if _is_external(url):
                continue
            parts = urlsplit(url)
            target = (page.path.parent / unquote(parts.path)).resolve() if parts.path else page.path.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{name}: link {url} points to a missing file")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in pages[target].ids:
                problems.append(f"{name}: link {url} points to a missing anchor")
    for stem, count in image_counts.items():
        page = pages.get((site / "notebooks" / f"{stem}.html").resolve())
        if page is None:
            problems.append(f"notebooks/{stem}.html: missing")
            continue
        shown = [src for src in page.images if "_images/" in src]
        if len(shown) < count:
            problems.append(f"notebooks/{stem}.html: {len(shown)} images, the notebook has {count} image outputs")
    return problems


# --------------------------------------------------------------------------- command line
def _parameters(values: list[str]) -> dict[str, str]:
    parsed = {}
    for value in values:
        name, sep, expression = value.partition("=")
        if not sep or not name.isidentifier():
            raise SystemExit(f"--param: expected NAME=PYTHON_EXPRESSION, got {value!r}")
        parsed[name] = expression
    return parsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT / "site", help="site folder (default site/)")
    parser.add_argument("--build", type=Path, default=PROJECT / "build" / "docs", help="staging folder")
    parser.add_argument("--results", type=Path, default=None,
                        help=f"results folder holding {PRESET}/ (default $HEMLAB_RESULTS or results/)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks executed at once")
    parser.add_argument("--executed", type=Path, default=None,
                        help="reuse the executed notebooks in this folder instead of executing them")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=EXPR",
                        help="override a notebook parameter, e.g. --param seeds=1 (repeatable)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        raise SystemExit(f"--jobs: expected a positive number of notebooks at once, got {args.jobs}")
    results_root = args.results or Path(os.environ.get("HEMLAB_RESULTS", PROJECT / "results"))
    os.environ["HEMLAB_RESULTS"] = str(Path(results_root).resolve())
    results = Path(results_root).resolve() / PRESET
    started = time.perf_counter()
    executed = args.executed
    if executed is None:
        executed = args.build / "executed"
        if executed.exists():
            shutil.rmtree(executed)
        print(f"executing {len(list((PROJECT / 'notebooks').glob('*.ipynb')))} notebooks, {args.jobs} at a time",
              flush=True)
        execute_notebooks(sorted((PROJECT / "notebooks").glob("*.ipynb")), executed, jobs=args.jobs,
                          parameters=_parameters(args.param))
    elif not sorted(executed.glob("*.ipynb")):
        raise SystemExit(f"--executed: no executed notebooks in {executed}")
    executed_s = time.perf_counter() - started
    stage(args.build / "src", executed, results)
    os.environ["HEMLAB_WIDGETS_STATIC"] = str(bundle_widgets(args.build))
    sphinx_build(args.build / "src", args.out, args.build)
    problems = check_site(args.out, notebook_image_counts(executed))
    if problems:
        print("\n".join(["the site has problems:", *problems]), file=sys.stderr)
        return 1
    total = time.perf_counter() - started
    print(f"site built in {args.out} in {total:.0f} s (notebooks {executed_s:.0f} s, pages {total - executed_s:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
