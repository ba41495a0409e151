"""
Photo -> model input, the way the app does it (workers/models/preprocess.ts toModelInput, image-input.ts, and
scripts/lib/node-models.ts decodeImage):
  decode (EXIF orientation applied, sRGB, alpha dropped) -> RGB 0..255
  -> while both sides are >= 2x the input size, halve with a bilinear resize (half-pixel centres; a 2x2 box average
     for even sides) -> bilinear resize of the WHOLE photo (no crop; aspect not kept) to size x size, half-pixel
     centres, no antialiasing (tf.image.resizeBilinear(x, [s, s], false, true) == F.interpolate(bilinear,
     align_corners=False, antialias=False))
  -> optional mirror -> (x - mean) / std per channel.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from effnet_lite import MEAN_RGB, STD_RGB


def decode_rgb(path: str) -> torch.Tensor:
    """JPEG/PNG -> [3, H, W] float32 RGB 0..255 (EXIF orientation applied, like sharp's .rotate())."""
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        a = np.asarray(im, dtype=np.uint8)
    return torch.from_numpy(a.copy()).permute(2, 0, 1).float()


def _bilinear(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    return F.interpolate(x[None], size=(h, w), mode="bilinear", align_corners=False)[0]


def resize_like_app(rgb: torch.Tensor, size: int) -> torch.Tensor:
    """[3, H, W] 0..255 -> [3, size, size] 0..255: box-halving, then one bilinear resize of the whole image."""
    x = rgb
    while x.shape[1] >= 2 * size and x.shape[2] >= 2 * size:
        x = _bilinear(x, x.shape[1] // 2, x.shape[2] // 2)
    return _bilinear(x, size, size)


def normalise(x: torch.Tensor, mean: Sequence[float] = MEAN_RGB, std: Sequence[float] = STD_RGB) -> torch.Tensor:
    m = torch.tensor(mean, dtype=x.dtype).view(-1, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(-1, 1, 1)
    return (x - m) / s


def model_input(path: str, size: int, mirror: bool = False) -> torch.Tensor:
    """One photo as the app feeds the EfficientNet-Lite member: [3, size, size], (RGB - 127) / 128."""
    x = resize_like_app(decode_rgb(path), size)
    if mirror:
        x = torch.flip(x, dims=[2])
    return normalise(x)
