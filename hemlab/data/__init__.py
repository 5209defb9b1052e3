"""Datasets for hemlab: embedded, torchvision-backed, and transforms of datasets.

Images are float32 tensors in [0, 1] shaped ``(N, C, H, W)``; labels are int64, ``(N,)``
for classification and ``(N, H, W)`` for segmentation.

- embedded, offline: ``load_digits``, ``make_shapes`` / ``load_shapes``, ``make_glyphs`` /
  ``load_glyphs`` (generated digit glyphs; ``GLYPH_LETTERS`` for unknown classes),
  ``make_colour_glyphs`` / ``load_colour_glyphs`` (the same in colour on textures, 32x32),
  ``make_toy2d`` / ``load_toy2d``
- paper mode (download on first use): ``load_torchvision_dataset``
- by name: ``load_dataset``, ``available_datasets``, ``dataset_defaults``, ``dataset_info``, ``DATASETS``
- yours: ``register_dataset`` (a loader), ``folder:PATH`` (an image folder, ``load_image_folder``)
- label sentinels (from :mod:`hemlab.sentinels`): ``IGNORE_INDEX`` (-100, unscored pixels),
  ``UNKNOWN_LABEL`` (-1, far-OOD samples), ``VOC_BOUNDARY`` (255, raw VOC only)
- transforms: ``long_tailed``, ``split_classes`` / ``subset_classes``,
  ``hold_out_classes``, ``make_far_ood``, ``corrupt`` / ``corrupt_dataset``,
  ``random_crop_flip``

The names load on first use (PEP 562), so importing one module of the package (such as
``hemlab.data.core``) does not import torchvision.
"""
from __future__ import annotations

from hemlab.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "hemlab.data.augment": ("random_crop_flip",),
    "hemlab.data.colour_glyphs": ("load_colour_glyphs", "make_colour_glyphs"),
    "hemlab.data.core": ("RelabelledSubset", "class_counts", "dataset_targets", "dataset_tensors", "is_tensor_backed"),
    "hemlab.data.corruptions": ("SEVERITY_PARAMETERS", "available_corruptions", "corrupt", "corrupt_dataset"),
    "hemlab.data.digits": ("load_digits",),
    "hemlab.data.downloads": ("DatasetUnavailableError", "check_downloadable", "load_torchvision_dataset"),
    "hemlab.data.glyphs": ("GLYPH_LETTERS", "load_glyphs", "make_glyphs"),
    "hemlab.data.imbalance": ("long_tailed", "long_tailed_counts"),
    "hemlab.data.ood": ("FAR_OOD_KINDS", "make_far_ood"),
    "hemlab.data.folder": ("FOLDER_PREFIX", "load_image_folder"),
    "hemlab.data.registry": ("DATASETS", "DatasetInfo", "available_datasets", "checked_dataset", "dataset_defaults",
                             "dataset_info", "load_dataset", "register_dataset"),
    "hemlab.data.shapes": ("SHAPE_NAMES", "load_shapes", "make_shapes"),
    "hemlab.data.splits": ("hold_out_classes", "split_classes", "subset_classes"),
    "hemlab.data.toy2d": ("TOY2D_NAMES", "load_toy2d", "make_toy2d"),
    "hemlab.sentinels": ("IGNORE_INDEX", "UNKNOWN_LABEL", "VOC_BOUNDARY"),
}
_HOME, __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
__all__ = sorted(_HOME)
