"""The project's notebooks, read as JSON, for the format and Colab-install tests."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK_PATHS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


@pytest.fixture(params=NOTEBOOK_PATHS, ids=[path.stem for path in NOTEBOOK_PATHS])
def notebook(request) -> nbformat.NotebookNode:
    """Each notebook under ``notebooks/``, parsed (its path in ``metadata.path``)."""
    node = nbformat.read(request.param, as_version=4)
    node.metadata["path"] = str(request.param)
    return node


@pytest.fixture(scope="session")
def notebook_names() -> list[str]:
    """The stems of the notebooks under ``notebooks/``."""
    return [path.stem for path in NOTEBOOK_PATHS]


@pytest.fixture(scope="session")
def colab_cell() -> str:
    """The source of the first code cell of ``00_quickstart``: the Colab install cell that
    every notebook starts with."""
    quickstart = nbformat.read(NOTEBOOK_DIR / "00_quickstart.ipynb", as_version=4)
    return next(cell.source for cell in quickstart.cells if cell.cell_type == "code")
