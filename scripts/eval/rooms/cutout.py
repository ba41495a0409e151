"""Cut catalog products out of their white backgrounds -> RGBA cutouts.

Background = near-white pixels (min(R,G,B) >= thresh) CONNECTED TO THE PHOTO BORDER
(PIL flood fill through the near-white set from the border, so a
white product's interior that is enclosed by its outline is kept).  Then a
morphological opening + closing removes specks and fills pinholes, and the mask is
feathered by a 1 px Gaussian so pasted edges are not razor sharp.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFilter

from common import CACHE, DATA


def _dilate(m, r):
    return F.max_pool2d(m, 2 * r + 1, 1, r)


def _erode(m, r):
    return -F.max_pool2d(-m, 2 * r + 1, 1, r)


def product_mask(rgb: np.ndarray, thresh: int = 250) -> np.ndarray:
    """float mask in [0,1] (1 = product) for an RGB uint8 image [h,w,3]."""
    # pad by a 1 px near-white frame so one flood fill from the corner reaches every border pixel
    white = np.pad((rgb.min(2) >= thresh).astype(np.uint8) * 255, 1, constant_values=255)
    img = Image.fromarray(white).copy()  # copy: fromarray shares a read-only buffer
    ImageDraw.floodfill(img, (0, 0), 128)  # C-speed flood fill through the near-white set
    bg = torch.from_numpy((np.array(img)[1:-1, 1:-1] == 128).astype(np.float32))[None, None]
    fg = 1.0 - bg
    fg = _dilate(_erode(fg, 1), 1)   # opening: drop specks
    fg = _erode(_dilate(fg, 2), 2)   # closing: fill pinholes
    return fg[0, 0].numpy()


def cutout(path: str, cache_dir=os.path.join(CACHE, "cutouts")) -> Image.Image:
    """RGBA cutout of a catalog photo, cropped to the product's bounding box (cached PNG)."""
    os.makedirs(cache_dir, exist_ok=True)
    out = os.path.join(cache_dir, os.path.basename(path)[:-4] + ".png")
    if os.path.exists(out):
        return Image.open(out)
    im = Image.open(os.path.join(DATA, path)).convert("RGB")
    rgb = np.array(im)
    m = product_mask(rgb)
    alpha = Image.fromarray((m * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1))
    rgba = im.copy(); rgba.putalpha(alpha)
    ys, xs = np.nonzero(m > 0.5)
    if len(xs) == 0:
        bbox = (0, 0, im.width, im.height)
    else:
        bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    rgba = rgba.crop(bbox)
    rgba.save(out)
    return rgba


def product_bbox(path: str):
    """Normalised bounding box (x0,y0,x1,y1) of the product inside its catalog photo."""
    im = Image.open(os.path.join(DATA, path)).convert("RGB")
    m = product_mask(np.array(im))
    ys, xs = np.nonzero(m > 0.5)
    if len(xs) == 0:
        return (0.0, 0.0, 1.0, 1.0)
    return (xs.min() / im.width, ys.min() / im.height, (xs.max() + 1) / im.width, (ys.max() + 1) / im.height)


if __name__ == "__main__":
    # visual check: a grid of cutouts over a grey background
    from common import load_products
    import random
    random.seed(1)
    prods = random.sample(load_products(), 24)
    W = Image.new("RGB", (6 * 160, 4 * 160), (120, 120, 120))
    for k, p in enumerate(prods):
        c = cutout(p["path"]); c.thumbnail((150, 150))
        W.paste(c, (160 * (k % 6) + 5, 160 * (k // 6) + 5), c)
    W.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tmp", "cutouts.png"))
