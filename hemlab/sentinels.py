"""The label values that mean "not a class", in one place; use them by name everywhere.

- ``IGNORE_INDEX = -100``: a target position that takes no part in a loss or a metric.
  The default ``ignore_index`` of every loss and of the metrics that take one
  (``accuracy``, ``segmentation_metrics``); the embedded ``shapes`` set marks object borders
  with it, and the VOC loader maps VOC's 255 to it as it loads. Same value as torch's
  ``F.cross_entropy`` default.
- ``UNKNOWN_LABEL = -1``: the target of a sample from no known class (the far-OOD sets).
  Never a class index, and distinct from ``IGNORE_INDEX``.
- ``VOC_BOUNDARY = 255``: what raw Pascal VOC masks hold on object boundaries and "void"
  pixels; it never leaves ``hemlab.data``.

See docs/conventions.md.
"""
from __future__ import annotations

IGNORE_INDEX = -100
UNKNOWN_LABEL = -1
VOC_BOUNDARY = 255

__all__ = ["IGNORE_INDEX", "UNKNOWN_LABEL", "VOC_BOUNDARY"]
