"""mIoU and pixel accuracy on a tiny hand-labelled segmentation with ignored pixels."""
from __future__ import annotations

import pytest
import torch

from torchmetrics.functional.classification import multiclass_accuracy, multiclass_jaccard_index

from hemlab.metrics import segmentation_confusion_matrix, segmentation_metrics, segmentation_metrics_from_confusion
from hemlab.sentinels import IGNORE_INDEX

# Two 2x3 images, 4 classes (class 3 appears nowhere), IGNORE_INDEX (-100) = not scored.
I = IGNORE_INDEX
TARGET = torch.tensor([[[0, 0, 1], [1, I, 2]], [[2, 2, I], [0, 1, 1]]])
PRED = torch.tensor([[[0, 1, 1], [1, 3, 2]], [[2, 0, 0], [0, 1, 2]]])
# Scored pixels (target, pred): (0,0) (0,1) (1,1) (1,1) (2,2) | (2,2) (2,0) (0,0) (1,1) (1,2)
# class 0: TP 2, FN 1, FP 1 -> 2/4;  class 1: TP 3, FN 1, FP 1 -> 3/5;  class 2: TP 2, FN 1, FP 1 -> 2/4
# class 3: predicted only on an ignored pixel -> absent, left out of the mean.
EXPECTED_MIOU = (0.5 + 0.6 + 0.5) / 3
EXPECTED_PIXEL_ACCURACY = 7 / 10


def test_hand_labelled_example(device):
    result = segmentation_metrics(PRED.to(device), TARGET.to(device), num_classes=4)
    assert result["miou"] == pytest.approx(EXPECTED_MIOU)
    assert result["pixel_accuracy"] == pytest.approx(EXPECTED_PIXEL_ACCURACY)


def test_logits_are_read_through_argmax():
    logits = torch.nn.functional.one_hot(PRED.clamp(max=3), 4).permute(0, 3, 1, 2).float() * 5.0
    assert segmentation_metrics(logits, TARGET, num_classes=4) == segmentation_metrics(PRED, TARGET, num_classes=4)


def test_confusion_matrices_of_batches_add_up():
    whole = segmentation_confusion_matrix(PRED, TARGET, 4)
    parts = segmentation_confusion_matrix(PRED[:1], TARGET[:1], 4) + segmentation_confusion_matrix(PRED[1:], TARGET[1:], 4)
    assert torch.equal(whole, parts)
    assert int(whole.sum()) == 10
    assert segmentation_metrics_from_confusion(parts)["miou"] == pytest.approx(EXPECTED_MIOU)


def test_without_ignore_index_every_pixel_counts():
    target = TARGET.clone()
    target[target == IGNORE_INDEX] = 3
    result = segmentation_metrics(PRED, target, num_classes=4, ignore_index=None)
    # class 3 now: TP 1 (pixel [0,1,1]), FN 1 (pixel [1,0,2], predicted 0); class 0 gains an FP.
    assert result["pixel_accuracy"] == pytest.approx(8 / 12)
    assert result["miou"] == pytest.approx((2 / 5 + 3 / 5 + 2 / 4 + 1 / 2) / 4)


def test_rejects_out_of_range_labels_and_shape_mismatch():
    with pytest.raises(ValueError, match="target"):
        segmentation_metrics(PRED, torch.where(TARGET == IGNORE_INDEX, 5, TARGET), num_classes=4)
    with pytest.raises(ValueError, match="pred"):
        segmentation_metrics(PRED[:, :1], TARGET, num_classes=4)
    with pytest.raises(ValueError, match="pred"):
        segmentation_metrics(PRED + 1, TARGET, num_classes=4)


def test_an_ignore_index_that_is_a_class_id_leaves_that_class_out_like_torchmetrics():
    generator = torch.Generator().manual_seed(0)
    pred = torch.randint(0, 5, (4, 9, 9), generator=generator)
    target = torch.randint(0, 5, (4, 9, 9), generator=generator)
    for ignore_index in (0, 3):
        result = segmentation_metrics(pred, target, num_classes=5, ignore_index=ignore_index)
        expected = multiclass_jaccard_index(pred, target, 5, average="macro", ignore_index=ignore_index)
        assert result["miou"] == pytest.approx(float(expected))
        expected_accuracy = multiclass_accuracy(pred, target, 5, average="micro", ignore_index=ignore_index)
        assert result["pixel_accuracy"] == pytest.approx(float(expected_accuracy))
    # Class 3 predicted on a pixel whose target is 0: with ignore_index=3 its IoU of 0 would
    # otherwise pull the mean down.
    pred, target = torch.tensor([[0, 1, 3]]), torch.tensor([[0, 1, 0]])
    assert segmentation_metrics(pred, target, num_classes=4, ignore_index=3)["miou"] == pytest.approx((1 / 2 + 1) / 2)
    assert segmentation_metrics(pred, target, num_classes=4, ignore_index=None)["miou"] == pytest.approx((1 / 2 + 1 + 0) / 3)


def test_the_default_ignore_index_is_the_losses_one():
    target = torch.tensor([[0, IGNORE_INDEX, 1]])
    assert segmentation_metrics(torch.tensor([[0, 1, 1]]), target, num_classes=2) == {"miou": 1.0, "pixel_accuracy": 1.0}
