"""The paper preset's readers on files in the real on-disk layouts (``tests/fake_files.py``):
torchvision's CIFAR, SVHN, MNIST and VOC readers and hemlab's conversion to tensors, with
nothing of hemlab patched; only torchvision's MD5 check is bypassed."""
from __future__ import annotations

import pytest
import torch

from hemlab.data import DATASETS, DatasetUnavailableError, check_downloadable, load_dataset
from hemlab.sentinels import IGNORE_INDEX


def _expected_images(fake_files, indices, channels: int, side: int) -> torch.Tensor:
    return torch.stack([torch.from_numpy(fake_files.pixel_pattern(int(i), channels, side, side)) for i in indices]) / 255


@pytest.mark.parametrize("name, num_classes", [("cifar10", 10), ("cifar100", 100)])
def test_cifar_batches_read_as_float_images_in_channel_order_with_their_labels(fake_data_root, fake_files, name,
                                                                               num_classes):
    train, test = load_dataset(name)
    images, labels = train.tensors
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    assert images.shape == (num_classes * fake_files.CIFAR_PER_CLASS["train"], 3, 32, 32)
    assert torch.equal(labels, torch.from_numpy(fake_files.cifar_labels("train", num_classes)))
    batch = len(labels) // 5
    written = [part * batch + i for part in range(5) for i in range(batch)]
    assert torch.allclose(images, _expected_images(fake_files, written, 3, 32))
    test_images, test_labels = test.tensors
    assert torch.allclose(test_images[:3], _expected_images(fake_files, [10_000, 10_001, 10_002], 3, 32))
    assert torch.equal(test_labels, torch.from_numpy(fake_files.cifar_labels("test", num_classes)))
    assert int(labels.max()) == DATASETS[name].num_classes - 1


def test_svhn_mat_files_read_with_label_10_as_digit_0(fake_data_root, fake_files):
    train, test = load_dataset("svhn")
    images, labels = test.tensors
    assert images.shape == (len(fake_files.svhn_digits("test")), 3, 32, 32)
    assert torch.equal(labels, torch.from_numpy(fake_files.svhn_digits("test")))
    assert torch.allclose(images, _expected_images(fake_files, range(len(labels)), 3, 32))
    assert set(train.tensors[1].tolist()) == set(range(10))


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_idx_files_read_as_one_channel_images(fake_data_root, fake_files, name):
    train, test = load_dataset(name)
    images, labels = train.tensors
    assert images.shape == (30, 1, 28, 28) and test.tensors[0].shape == (20, 1, 28, 28)
    assert torch.equal(labels, torch.arange(30) % 10)
    assert torch.allclose(images, _expected_images(fake_files, range(30), 1, 28))


def test_voc_tree_reads_resized_images_and_masks_with_255_as_ignored(fake_data_root, fake_files):
    train, val = load_dataset("voc", image_size=48)
    images, masks = train.tensors
    assert images.shape == (fake_files.VOC_SPLITS["train"], 3, 48, 48) and masks.shape == (6, 48, 48)
    assert val.tensors[1].shape == (fake_files.VOC_SPLITS["val"], 48, 48)
    assert masks.dtype == torch.int64 and 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    for index, mask in enumerate(masks):
        values = set(mask.unique().tolist())
        assert values <= {0, 1 + index % 20, IGNORE_INDEX} and {0, 1 + index % 20, IGNORE_INDEX} <= values
    first = torch.from_numpy(fake_files.pixel_pattern(0, 3, *fake_files.VOC_SHAPE)).float() / 255
    resized = torch.nn.functional.interpolate(first[None], size=(48, 48), mode="bilinear", align_corners=False)[0]
    assert float((images[0] - resized).abs().mean()) < 0.05       # JPEG and PIL's resize, not a transpose


def test_files_on_disk_are_available_without_a_network(fake_data_root):
    check_downloadable(["cifar10", "cifar100", "svhn", "mnist", "fashion_mnist", "voc"])


def test_a_damaged_cifar_batch_fails_with_the_offline_message_not_a_pickle_error(fake_data_root, tmp_path,
                                                                                 fake_files, monkeypatch):
    fake_files.write_cifar(tmp_path, 10)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    monkeypatch.setenv("HEMLAB_DATA", str(tmp_path))
    from hemlab.data import downloads
    monkeypatch.setattr(downloads, "host_reachable", lambda url, timeout=3.0: (False, "offline (test)"))
    with pytest.raises(DatasetUnavailableError, match=r"cifar10: not found under .*offline \(test\)"):
        load_dataset("cifar10")
