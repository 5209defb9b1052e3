"""The glyph grid: one strip per row, classes in columns, letters and corruptions below."""
from __future__ import annotations

import numpy as np
import pytest

from hemlab.data import corrupt, make_far_ood
from hemlab.data.glyphs import make_glyphs
from hemlab.viz import plot_glyph_grid


@pytest.fixture(scope="module")
def glyphs():
    return make_glyphs(60, seed=0).tensors


def test_grid_rows_hold_each_class_in_its_column(glyphs, assert_readable):
    images, labels = glyphs
    letters = make_far_ood("letters", images, 10).tensors[0]
    figure = plot_glyph_grid(images, labels, letters=letters, corruptions=("gaussian_noise", "contrast"), rows=3)
    assert_readable(figure)
    axes = figure.axes
    assert [axis.get_ylabel() for axis in axes] == [
        "examples", "examples 2", "examples 3", "letters", "gaussian_noise 3", "contrast 3"]
    assert [tick.get_text() for tick in axes[0].get_xticklabels()] == [str(c) for c in range(10)]
    first_row = axes[0].images[0].get_array()
    assert first_row.shape == (16, 10 * 17 - 1)
    for column in range(10):
        first_of_class = images[labels == column][0, 0].numpy()
        assert np.allclose(first_row[:, column * 17:column * 17 + 16], first_of_class)
    assert np.allclose(axes[3].images[0].get_array()[:, :16], letters[0, 0].numpy())
    expected = corrupt(images[[int((labels == c).nonzero()[0]) for c in range(10)]], "contrast", 3)
    assert np.allclose(axes[5].images[0].get_array()[:, 17:33], expected[1, 0].numpy(), atol=1e-6)


def test_grid_without_letters_or_corruptions(glyphs):
    figure = plot_glyph_grid(*glyphs, corruptions=(), rows=1, class_names=list("abcdefghij"), title="")
    assert len(figure.axes) == 1 and figure._suptitle is None
    assert [tick.get_text() for tick in figure.axes[0].get_xticklabels()] == list("abcdefghij")


@pytest.mark.parametrize(("change", "message"), [
    ({"rows": 0}, "rows"),
    ({"rows": 20}, "labels: expected at least 20 images of every class"),
    ({"corruptions": ("fog",)}, "corruptions"),
    ({"class_names": ["zero"]}, "class_names"),
    ({"letters": np.zeros((3, 1, 8, 8))}, "letters"),
    ({"images": np.full((60, 1, 16, 16), 2.0)}, "images"),
])
def test_grid_bad_inputs_name_the_argument(glyphs, change, message):
    arguments = {"images": glyphs[0], "labels": glyphs[1], **change}
    with pytest.raises(ValueError, match=message):
        plot_glyph_grid(**arguments)
