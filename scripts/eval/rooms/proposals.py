"""Class-agnostic region proposals that cover a room photo.

All boxes are in normalised image coordinates (x0, y0, x1, y1) in [0, 1], so the
same list applies to any input resolution.  Nothing here is learned.

sliding_windows(aspect, scales, ratios, overlap):
  for each scale s (window height as a fraction of the image's SHORTER side) and
  each aspect ratio r = width/height, windows of size (s*r*short, s*short) in
  pixels are placed on a regular grid covering the image with the given overlap
  (consecutive windows share `overlap` of their extent); the grid is centred so
  that the first and last windows touch the borders.  Windows larger than the
  image are clipped to it; duplicates are removed.
"""
import math

import numpy as np

DEFAULT_SCALES = (1.0, 0.75, 0.55, 0.4, 0.28, 0.2)
DEFAULT_RATIOS = (0.33, 0.5, 1.0, 2.0, 3.0)


def _positions(extent: float, win: float, overlap: float):
    """Start offsets (fraction of the extent) of windows of size win on [0, extent]."""
    if win >= extent - 1e-6:
        return [0.0]
    step = win * (1.0 - overlap)
    n = int(math.ceil((extent - win) / step)) + 1
    return list(np.linspace(0.0, extent - win, n))


def sliding_windows(width: int, height: int, scales=DEFAULT_SCALES, ratios=DEFAULT_RATIOS,
                    overlap: float = 0.5, include_full: bool = True) -> np.ndarray:
    short = min(width, height)
    boxes = []
    if include_full:
        boxes.append((0.0, 0.0, 1.0, 1.0))
    for s in scales:
        for r in ratios:
            wh = s * short
            ww = min(wh * r, width)
            wh = min(wh, height)
            for y in _positions(height, wh, overlap):
                for x in _positions(width, ww, overlap):
                    boxes.append((x / width, y / height, (x + ww) / width, (y + wh) / height))
    b = np.round(np.array(boxes, dtype=np.float64), 4)
    _, idx = np.unique(b, axis=0, return_index=True)
    return b[np.sort(idx)].astype(np.float32)


def big_boxes(width: int, height: int) -> np.ndarray:
    """'Detector-like' stand-in: the whole photo plus windows of at least half the
    shorter side (furniture-sized), i.e. what a COCO detector would propose at best."""
    return sliding_windows(width, height, scales=(1.0, 0.75, 0.55), ratios=(0.5, 1.0, 2.0), overlap=0.5)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between boxes a [n,4] and b [m,4]."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0]); y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2]); y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)


if __name__ == "__main__":
    for W, H in [(640, 478), (640, 640), (463, 640)]:
        print(W, H, len(sliding_windows(W, H)), len(big_boxes(W, H)))
