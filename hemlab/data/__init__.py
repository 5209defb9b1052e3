"""Datasets for hemlab: embedded, torchvision-backed, and transforms of datasets.

Images are float32 tensors in [0, 1] shaped ``(N, C, H, W)``; labels are int64, ``(N,)``
for classification and ``(N, H, W)`` for segmentation.

- embedded, offline: ``load_digits``, ``make_shapes`` / ``load_shapes``, ``make_glyphs`` /
  ``load_glyphs`` (generated digit glyphs; ``GLYPH_LETTERS`` for unknown classes),
  ``make_toy2d`` / ``load_toy2d``
- paper mode (download on first use): ``load_torchvision_dataset``
- by name: ``load_dataset``, ``available_datasets``, ``dataset_defaults``, ``DATASETS``
- label sentinels (from :mod:`hemlab.sentinels`): ``IGNORE_INDEX`` (-100, unscored pixels),
  ``UNKNOWN_LABEL`` (-1, far-OOD samples), ``VOC_BOUNDARY`` (255, raw VOC only)
- transforms: ``long_tailed``, ``split_classes`` / ``subset_classes``,
  ``hold_out_classes``, ``make_far_ood``, ``corrupt`` / ``corrupt_dataset``,
  ``random_crop_flip``
"""
from hemlab.data.augment import random_crop_flip
from hemlab.data.core import RelabelledSubset, class_counts, dataset_targets, dataset_tensors, is_tensor_backed
from hemlab.data.corruptions import SEVERITY_PARAMETERS, available_corruptions, corrupt, corrupt_dataset
from hemlab.data.digits import load_digits
from hemlab.data.downloads import DatasetUnavailableError, load_torchvision_dataset
from hemlab.data.glyphs import GLYPH_LETTERS, load_glyphs, make_glyphs
from hemlab.data.imbalance import long_tailed, long_tailed_counts
from hemlab.data.ood import FAR_OOD_KINDS, make_far_ood
from hemlab.data.registry import DATASETS, DatasetInfo, available_datasets, dataset_defaults, load_dataset
from hemlab.data.shapes import SHAPE_NAMES, load_shapes, make_shapes
from hemlab.data.splits import hold_out_classes, split_classes, subset_classes
from hemlab.data.toy2d import TOY2D_NAMES, load_toy2d, make_toy2d
from hemlab.sentinels import IGNORE_INDEX, UNKNOWN_LABEL, VOC_BOUNDARY

__all__ = [
    "DATASETS", "FAR_OOD_KINDS", "GLYPH_LETTERS", "IGNORE_INDEX", "SEVERITY_PARAMETERS", "SHAPE_NAMES",
    "TOY2D_NAMES", "UNKNOWN_LABEL", "VOC_BOUNDARY", "DatasetInfo", "DatasetUnavailableError", "RelabelledSubset",
    "available_corruptions", "available_datasets", "class_counts", "corrupt", "corrupt_dataset", "dataset_defaults",
    "dataset_targets", "dataset_tensors", "hold_out_classes", "is_tensor_backed", "load_dataset", "load_digits",
    "load_glyphs", "load_shapes", "load_toy2d", "load_torchvision_dataset", "long_tailed", "long_tailed_counts",
    "make_far_ood", "make_glyphs", "make_shapes", "make_toy2d", "random_crop_flip", "split_classes",
    "subset_classes",
]
