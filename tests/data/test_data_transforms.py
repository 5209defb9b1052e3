"""Dataset transforms: long-tailed subsets, class splits, held-out classes, far-OOD sets,
corruptions and crop-flip augmentation."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from hemlab.data import (
    FAR_OOD_KINDS, IGNORE_INDEX, UNKNOWN_LABEL, available_corruptions, class_counts, corrupt, corrupt_dataset,
    dataset_targets, dataset_tensors, hold_out_classes, load_digits, long_tailed, long_tailed_counts,
    make_far_ood, random_crop_flip, split_classes, subset_classes,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _balanced(num_classes: int, per_class: int) -> TensorDataset:
    labels = torch.arange(num_classes).repeat(per_class)
    labels = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    return TensorDataset(torch.arange(len(labels)).float().unsqueeze(1), labels)


# ---------------------------------------------------------------- long-tailed

def test_long_tailed_exp_counts_match_cifar10_lt():
    # The published CIFAR-10-LT class sizes for imbalance ratio 100 (Cao et al., LDAM).
    assert long_tailed_counts(10, 5000, 100).tolist() == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


@pytest.mark.parametrize("num_classes, n_max, ratio, total", [
    (10, 5000, 100, 12406), (10, 5000, 50, 13996), (10, 5000, 10, 20431), (100, 500, 100, 10847),
])
def test_long_tailed_totals_match_the_literature(num_classes, n_max, ratio, total):
    assert int(long_tailed_counts(num_classes, n_max, ratio).sum()) == total


def test_long_tailed_step_profile():
    assert long_tailed_counts(10, 5000, 100, "step").tolist() == [5000] * 5 + [50] * 5
    assert long_tailed_counts(5, 100, 10, "step").tolist() == [100, 100, 10, 10, 10]


def test_long_tailed_subset_has_exactly_the_counts():
    dataset = _balanced(10, 500)
    subset, counts = long_tailed(dataset, 100, seed=1)
    assert counts.tolist() == [500, 299, 179, 107, 64, 38, 23, 13, 8, 5]
    assert torch.equal(class_counts(dataset_targets(subset), 10), counts)
    assert len(set(subset.indices)) == len(subset) == int(counts.sum())
    other, _ = long_tailed(dataset, 100, seed=2)
    assert subset.indices != other.indices


def test_long_tailed_step_subset_on_unequal_classes(digits):
    train, _ = digits
    smallest = int(class_counts(train.tensors[1]).min())
    subset, counts = long_tailed(train, 10, "step")
    assert counts.tolist() == [smallest] * 5 + [smallest // 10] * 5
    assert torch.equal(class_counts(dataset_targets(subset), 10), counts)


@pytest.mark.parametrize("keyword, value", [("ratio", 0.5), ("profile", "linear"), ("n_max", 10_000)])
def test_long_tailed_rejects_bad_arguments(keyword, value):
    arguments = {"ratio": 10, "profile": "exp", "n_max": None} | {keyword: value}
    with pytest.raises(ValueError, match=keyword):
        long_tailed(_balanced(4, 20), **arguments)


# ---------------------------------------------------------------- class splits

@pytest.mark.parametrize("num_classes, n_tasks", [(10, 5), (10, 3), (100, 10), (7, 7)])
def test_split_classes_disjoint_and_covering(num_classes, n_tasks):
    groups = split_classes(num_classes, n_tasks, seed=4)
    flat = [label for group in groups for label in group]
    assert len(groups) == n_tasks and sorted(flat) == list(range(num_classes))
    sizes = [len(group) for group in groups]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


def test_split_classes_order_is_seeded():
    assert split_classes(10, 5, seed=None) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert split_classes(10, 5, seed=3) == split_classes(10, 5, seed=3)
    assert split_classes(10, 5, seed=3) != split_classes(10, 5, seed=4)


def test_split_classes_rejects_too_many_tasks():
    with pytest.raises(ValueError, match="n_tasks"):
        split_classes(4, 5)


def test_subset_classes(digits):
    train, _ = digits
    subset = subset_classes(train, [3, 8])
    labels = dataset_targets(subset)
    assert set(labels.tolist()) == {3, 8}
    assert len(subset) == int(((train.tensors[1] == 3) | (train.tensors[1] == 8)).sum())


# ---------------------------------------------------------------- held-out classes

def test_hold_out_classes_relabels_known(digits):
    train, _ = digits
    known, unknown = hold_out_classes(train, [2, 7])
    original = train.tensors[1]
    assert len(known) + len(unknown) == len(train)
    assert set(dataset_targets(unknown).tolist()) == {2, 7}
    expected_map = {0: 0, 1: 1, 3: 2, 4: 3, 5: 4, 6: 5, 8: 6, 9: 7}
    for position in range(0, len(known), 97):
        image, label = known[position]
        source = int(known.indices[position])
        assert torch.equal(image, train.tensors[0][source])
        assert int(label) == expected_map[int(original[source])]
    images, labels = dataset_tensors(known)
    assert torch.equal(labels, dataset_targets(known))
    assert labels.tolist() == [expected_map[int(original[i])] for i in known.indices]
    assert images.shape == (len(known), 1, 8, 8)


@pytest.mark.parametrize("unknown", [[], [10], list(range(10))])
def test_hold_out_classes_rejects_bad_choice(digits, unknown):
    with pytest.raises(ValueError, match="unknown_classes"):
        hold_out_classes(digits[0], unknown)


# ---------------------------------------------------------------- far OOD

@pytest.mark.parametrize("kind", FAR_OOD_KINDS)
def test_far_ood_sets_are_shaped_like_the_reference(kind, digits):
    train, _ = digits
    ood = make_far_ood(kind, train, 64, seed=1)
    images, labels = ood.tensors
    assert images.shape == (64, 1, 8, 8) and images.dtype == torch.float32
    assert images.min() >= 0.0 and images.max() <= 1.0 and images.std() > 0.05
    assert (labels == UNKNOWN_LABEL).all()
    assert torch.equal(images, make_far_ood(kind, train, 64, seed=1).tensors[0])
    assert not torch.equal(images, make_far_ood(kind, train, 64, seed=2).tensors[0])


def test_permuted_pixels_keep_values_but_not_positions(digits):
    reference = digits[1].tensors[0][:32]
    permuted = make_far_ood("permuted_pixels", reference).tensors[0]
    assert torch.equal(permuted.flatten(1).sort(dim=1).values, reference.flatten(1).sort(dim=1).values)
    assert (permuted != reference).flatten(1).any(dim=1).float().mean() > 0.9


def test_far_ood_errors(digits):
    with pytest.raises(ValueError, match="kind"):
        make_far_ood("textures", digits[0])
    with pytest.raises(ValueError, match="n_samples"):
        make_far_ood("permuted_pixels", digits[1], 10_000)


# ---------------------------------------------------------------- corruptions

@pytest.fixture(scope="module")
def natural_images(digits):
    """32 digits upsampled to 32x32 RGB: natural strokes at CIFAR size."""
    images = digits[1].tensors[0][:32]
    return F.interpolate(images, size=32, mode="bilinear", align_corners=False).repeat(1, 3, 1, 1).clamp(0, 1)


@pytest.mark.parametrize("name", available_corruptions())
def test_corruption_strength_grows_with_severity(name, natural_images):
    changes = []
    for severity in range(1, 6):
        corrupted = corrupt(natural_images, name, severity, seed=0)
        assert corrupted.shape == natural_images.shape
        assert corrupted.min() >= 0.0 and corrupted.max() <= 1.0
        changes.append(float((corrupted - natural_images).abs().mean()))
    assert changes[0] > 0
    assert all(later > earlier for earlier, later in zip(changes, changes[1:])), changes


@pytest.mark.parametrize("name", ["gaussian_noise", "shot_noise", "impulse_noise"])
def test_random_corruptions_are_seeded(name, natural_images):
    first = corrupt(natural_images, name, 3, seed=7)
    assert torch.equal(first, corrupt(natural_images, name, 3, seed=7))
    assert not torch.equal(first, corrupt(natural_images, name, 3, seed=8))


def test_corruption_leaves_input_untouched_and_dataset_targets(digits):
    _, test = digits
    before = test.tensors[0].clone()
    corrupted = corrupt_dataset(test, "jpeg", 5)
    assert torch.equal(test.tensors[0], before)
    assert torch.equal(corrupted.tensors[1], test.tensors[1])
    assert corrupted.tensors[0].shape == before.shape


def test_corruption_errors(natural_images):
    with pytest.raises(ValueError, match="name"):
        corrupt(natural_images, "fog", 1)
    with pytest.raises(ValueError, match="severity"):
        corrupt(natural_images, "contrast", 6)
    with pytest.raises(ValueError, match="channels"):
        corrupt(natural_images[:, :2], "jpeg", 1)


# ---------------------------------------------------------------- augmentation

def test_crop_flip_without_padding_only_flips():
    images = torch.rand(64, 3, 6, 6)
    targets = torch.randint(0, 4, (64, 6, 6))
    augmented, augmented_targets = random_crop_flip(images, targets, padding=0)
    flipped = (augmented == images.flip(-1)).flatten(1).all(1)
    kept = (augmented == images).flatten(1).all(1)
    assert (flipped | kept).all() and flipped.any() and kept.any()
    assert torch.equal(augmented_targets[flipped], targets[flipped].flip(-1))
    assert torch.equal(augmented_targets[kept & ~flipped], targets[kept & ~flipped])


def test_crop_flip_pads_dense_targets_with_the_ignore_label():
    images = torch.ones(200, 1, 8, 8)
    targets = torch.zeros(200, 8, 8, dtype=torch.long)
    torch.manual_seed(0)
    augmented, augmented_targets = random_crop_flip(images, targets, padding=2)
    padded_pixels = augmented == 0
    assert padded_pixels.any()
    assert torch.equal(padded_pixels.squeeze(1), augmented_targets == IGNORE_INDEX)
    torch.manual_seed(0)
    _, filled = random_crop_flip(images, targets, padding=2, target_fill=7)
    assert torch.equal(padded_pixels.squeeze(1), filled == 7)
    labels = torch.arange(200)
    assert torch.equal(random_crop_flip(images, labels)[1], labels)


def test_a_concatenation_of_tensor_backed_sets_is_batched_from_tensors():
    from torch.utils.data import ConcatDataset, Subset, TensorDataset

    from hemlab.data.core import dataset_targets, dataset_tensors, is_tensor_backed

    base = TensorDataset(torch.arange(20.0).view(10, 2), torch.arange(10) % 3)
    joined = ConcatDataset([Subset(base, [1, 4, 7]), Subset(base, [0, 2])])
    assert is_tensor_backed(joined)
    inputs, targets = dataset_tensors(joined)
    slow_inputs = torch.stack([joined[index][0] for index in range(len(joined))])
    slow_targets = torch.stack([joined[index][1] for index in range(len(joined))])
    assert torch.equal(inputs, slow_inputs) and torch.equal(targets, slow_targets)
    assert torch.equal(dataset_targets(joined), slow_targets)
    assert not is_tensor_backed(ConcatDataset([Subset(base, [0]), [(torch.zeros(2), 0)]]))
