"""The colour glyphs: shapes, ranges, balance, determinism, the contrast floor, and the
letters drawn the same way as unknown classes."""
from __future__ import annotations

import pytest
import torch

from hemlab.data import DATASETS, load_dataset, make_colour_glyphs, make_far_ood, make_glyphs
from hemlab.data.glyphs import split_seeds


def test_images_are_rgb_in_range_with_balanced_targets():
    images, targets = make_colour_glyphs(200, seed=3).tensors
    assert images.shape == (200, 3, 32, 32) and images.dtype == torch.float32
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    assert torch.equal(torch.bincount(targets, minlength=10), torch.full((10,), 20))
    assert float(images.std(dim=(2, 3)).mean()) > 0.05          # textured, not flat


def test_the_same_seed_gives_the_same_images_and_another_seed_others():
    first, again, other = (make_colour_glyphs(20, seed=seed).tensors[0] for seed in (1, 1, 2))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_the_ink_takes_the_glyphs_shape_and_stands_out_by_the_contrast():
    """Without gradients, grain and noise, the image is the glyph's coverage a blending a flat
    background b and ink c: where the glyph is fully inked the pixel is c, and c is at least
    ``contrast`` lighter than b in every channel."""
    images, targets = make_colour_glyphs(50, variation=0.0, texture=0.0, noise=0.0, contrast=0.6, blur=0.0, seed=4).tensors
    coverage, same_targets = make_glyphs(50, image_size=32, blur=0.0, distractors=1.5, noise=0.0,
                                         seed=split_seeds(4)[0]).tensors
    assert torch.equal(targets, same_targets)
    for image, alpha in zip(images, coverage[:, 0]):
        inked, bare = alpha > 0.99, alpha < 0.01
        ink = image[:, inked].mean(dim=1)
        assert torch.allclose(image[:, inked], ink[:, None], atol=0.02)        # alpha > 0.99: within 1%
        assert torch.allclose(image[:, bare], image[:, bare][:, :1], atol=0.02)       # flat background
        assert bool((ink - image[:, bare][:, 0] >= 0.6 - 0.02).all())      # lighter in every channel


@pytest.mark.parametrize("name, value", [("variation", 1.5), ("texture", 1.5), ("contrast", 1.2), ("noise", 2.0)])
def test_bad_options_name_themselves(name, value):
    with pytest.raises(ValueError, match=f"^{name}: expected"):
        make_colour_glyphs(10, **{name: value})


def test_registered_as_the_colab_data_with_independent_test_draws():
    info = DATASETS["colour_glyphs"]
    assert (info.num_classes, info.in_channels, info.image_size, info.embedded, info.mirror_invariant) == \
        (10, 3, 32, True, False)
    small, large = load_dataset("colour_glyphs", n_train=50, n_test=30, seed=0), \
        load_dataset("colour_glyphs", n_train=80, n_test=30, seed=0)
    assert torch.equal(small[1].tensors[0], large[1].tensors[0])      # the test set ignores n_train


def test_colour_letters_are_unknown_rgb_glyphs_or_their_grey_mean():
    reference = torch.rand(4, 3, 32, 32)
    letters = make_far_ood("colour_letters", reference, 12, seed=0)
    images, targets = letters.tensors
    assert images.shape == (12, 3, 32, 32) and bool((targets == -1).all())
    grey = make_far_ood("colour_letters", torch.rand(4, 1, 32, 32), 12, seed=0).tensors[0]
    assert torch.allclose(grey, images.mean(dim=1, keepdim=True))
    with pytest.raises(ValueError, match=r"colour_letters need 3-channel \(or 1-channel\) images, got 2"):
        make_far_ood("colour_letters", torch.rand(4, 2, 32, 32), 4)
