"""Semantic segmentation (paper claim 6: HEM best by a substantial margin; Dice worst).

The same rule as classification, per pixel. Measures mean IoU (dataset-level, classes
absent from prediction and truth left out) and pixel accuracy on the test images; pixels
with the dataset's ignore label take no part. Artifacts: a few images with their true and
predicted masks, a capped, seeded sample of valid pixels' logits, and the per-image
intersection and union of every class (the per-item record that mIoU is made of).
"""
from __future__ import annotations

import numpy as np
import torch

from hemlab.data import dataset_info, dataset_tensors
from hemlab.metrics import segmentation_metrics
from hemlab.tasks.declaration import EVERY_OTHER, SUBSTANTIAL, Claim, Headline, TaskInfo, register_task
from hemlab.tasks.evaluation import finish
from hemlab.tasks.fit import RunContext, fit_on_dataset, num_classes_of
from hemlab.tasks.item_records import item_artifacts, segmentation_items
from hemlab.tasks.result import Rows, RunResult, capped
from hemlab.tasks.spec import RunSpec
from hemlab.train import predict


def run_segmentation(spec: RunSpec, context: RunContext) -> RunResult:
    settings = context.settings
    ignore_index = dataset_info(spec.dataset).ignore_index
    num_classes = num_classes_of(spec, settings)
    fitted, _, test_set = fit_on_dataset(spec, context)
    logits, targets = predict(fitted.model, test_set)
    rows = Rows()
    rows.add_all("clean", segmentation_metrics(logits, targets, num_classes, ignore_index=ignore_index))
    pixel_logits = logits.movedim(1, -1).reshape(-1, num_classes)
    pixel_targets = targets.reshape(-1)
    valid = torch.nonzero((pixel_targets >= 0) & (pixel_targets < num_classes)).flatten()
    order = torch.randperm(len(valid), generator=torch.Generator().manual_seed(spec.seed), device="cpu")
    sample = valid[order.to(valid.device)]
    cap, masks = settings.logits_cap, settings.masks_cap
    images, _ = dataset_tensors(test_set)
    artifacts = {
        "logits": capped(pixel_logits[sample], cap, np.float16),
        "targets": capped(pixel_targets[sample], cap, np.int64),
        "images": capped(images, masks, np.float16),
        "masks_true": capped(targets, masks, np.int64),
        "masks_pred": capped(logits.argmax(dim=1), masks, np.int64),
        **item_artifacts("clean", "miou", **segmentation_items(logits, targets, num_classes, ignore_index)),
    }
    return finish(rows, [fitted], artifacts)


register_task(TaskInfo(
    "segmentation", "semantic segmentation", "HEM best by a substantial margin; Dice worst", run_segmentation,
    headline=Headline("clean", "miou", "the field's segmentation number"),
    claims=(
        Claim("6", "Segmentation: HEM best of all by a substantial margin", "segmentation", "hem", EVERY_OTHER,
              "best", bound=SUBSTANTIAL),
        Claim("6b", "Segmentation: Dice worst of all", "segmentation", "dice", EVERY_OTHER, "worst"),
    ),
    whole_dataset=True))
