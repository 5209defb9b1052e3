"""The sentinel labels, and the defaults that must agree on them across losses, data and metrics."""
from __future__ import annotations

import inspect

import torch

from hemlab import losses, metrics, sentinels
from hemlab.data import DATASETS, load_dataset, make_far_ood, random_crop_flip
from hemlab.models import create_model


def test_sentinel_values():
    assert (sentinels.IGNORE_INDEX, sentinels.UNKNOWN_LABEL, sentinels.VOC_BOUNDARY) == (-100, -1, 255)
    assert sentinels.IGNORE_INDEX == inspect.signature(torch.nn.functional.cross_entropy).parameters["ignore_index"].default


def test_every_default_ignore_index_is_the_sentinel():
    for name in losses.available_losses():
        assert losses.loss_defaults(name)["ignore_index"] == sentinels.IGNORE_INDEX
        assert inspect.signature(losses.loss_info(name).function).parameters["ignore_index"].default == sentinels.IGNORE_INDEX
    for function in (metrics.accuracy, metrics.segmentation_metrics, metrics.segmentation_confusion_matrix):
        assert inspect.signature(function).parameters["ignore_index"].default == sentinels.IGNORE_INDEX
    assert inspect.signature(random_crop_flip).parameters["target_fill"].default == sentinels.IGNORE_INDEX
    for name in ("shapes", "voc"):
        assert DATASETS[name].ignore_index == sentinels.IGNORE_INDEX


def test_far_ood_targets_are_the_unknown_label():
    images = torch.rand(4, 1, 8, 8)
    assert make_far_ood("uniform_noise", images).tensors[1].eq(sentinels.UNKNOWN_LABEL).all()


def test_unet_on_shapes_trains_with_the_default_loss_and_metrics():
    train_set, test_set = load_dataset("shapes", n_images=16, image_size=16)
    images, targets = train_set.tensors
    assert (targets == sentinels.IGNORE_INDEX).any()
    model = create_model("unet", DATASETS["shapes"].num_classes, width=4, seed=0)
    criterion = losses.create_loss("hem")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(2):
        optimizer.zero_grad()
        loss = criterion(model(images), targets)
        loss.backward()
        optimizer.step()
    assert torch.isfinite(loss)
    model.eval()
    with torch.no_grad():
        logits = model(test_set.tensors[0])
    test_targets = test_set.tensors[1]
    result = metrics.segmentation_metrics(logits, test_targets, DATASETS["shapes"].num_classes)
    assert 0.0 <= result["miou"] <= 1.0 and 0.0 <= result["pixel_accuracy"] <= 1.0
    scored = test_targets != sentinels.IGNORE_INDEX
    expected = (logits.argmax(1)[scored] == test_targets[scored]).double().mean()
    assert metrics.accuracy(logits, test_targets) == float(expected) == result["pixel_accuracy"]
