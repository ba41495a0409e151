"""Backbone feature maps (cached as float16 .npy under $ROOMS_CACHE) and region pooling.

Room photos: resized the app's way so the long side is `long_side` (640) and both sides are
multiples of 32; ONE backbone pass; the stride-32 maps are cached
(rooms_<bb>_<side>_<layer>/<room>.npy).
Catalog photos: resized to the backbone's input size (224 for lite0); one pass; the 7x7 maps are
cached (catalog_<bb>_<size>/<layer>.npy, rows in products.csv order).

Region pooling (R-MAC style, from the one high-resolution pass): `pool_regions(map, boxes, mode)`
samples a k x k bilinear grid under each normalised box (torchvision roi_align; tfjs
tf.image.cropAndResize on the feature map is the same operation) and reduces it by mean (avg),
generalised mean (gem, p = 3) or max.
"""
import os

import numpy as np
import torch
from PIL import Image
from torchvision.ops import roi_align

from common import DATA, cache_path


def room_input_size(w: int, h: int, long_side: int):
    s = long_side / max(w, h)
    return max(32, int(round(w * s / 32)) * 32), max(32, int(round(h * s / 32)) * 32)


def pil_to_tensor(im: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(im.convert("RGB"))).permute(2, 0, 1).contiguous()


def load_rgb(bb, path: str, size=None) -> torch.Tensor:
    x = pil_to_tensor(Image.open(path))
    return bb.resize_like_app(x, *size) if size is not None else x.float()


def room_map_path(bb_name: str, side: int, layer: str, room_rel: str) -> str:
    return cache_path(f"rooms_{bb_name}_{side}_{layer}", os.path.basename(room_rel)[:-4] + ".npy")


def room_maps(bb, room_rel: str, long_side: int = 640, layers=("head", "last")) -> dict:
    """Cached feature maps of one room photo: {layer: float16 [c,h,w]}."""
    paths = {l: room_map_path(bb.name, long_side, l, room_rel) for l in layers}
    if all(os.path.exists(p) for p in paths.values()):
        return {l: np.load(p) for l, p in paths.items()}
    im = Image.open(os.path.join(DATA, room_rel))
    x = load_rgb(bb, os.path.join(DATA, room_rel), room_input_size(*im.size, long_side))[None]
    maps = bb.feature_maps(x)
    out = {}
    for l in layers:
        out[l] = maps[l][0].numpy().astype(np.float16)
        np.save(paths[l], out[l])
    return out


def catalog_maps(bb, products, size=None, layers=("head", "last"), batch=32) -> dict:
    """Cached feature maps of all catalog photos: {layer: float16 [n,c,h,w]} in CSV order."""
    size = size or bb.input_size
    paths = {l: cache_path(f"catalog_{bb.name}_{size}", f"{l}.npy") for l in layers}
    if all(os.path.exists(p) for p in paths.values()):
        return {l: np.load(p, mmap_mode="r") for l, p in paths.items()}
    acc = {l: [] for l in layers}
    for i in range(0, len(products), batch):
        x = torch.stack([load_rgb(bb, os.path.join(DATA, p["path"]), (size, size)) for p in products[i:i + batch]])
        maps = bb.feature_maps(x)
        for l in layers:
            acc[l].append(maps[l].numpy().astype(np.float16))
        print(f"catalog {i + len(x)}/{len(products)}", flush=True)
    out = {}
    for l in layers:
        out[l] = np.concatenate(acc[l])
        np.save(paths[l], out[l])
    return out


def pool_regions(fmap, boxes, mode: str = "gem", p: float = 3.0, k: int = 3) -> torch.Tensor:
    """Pool a feature map [c,h,w] under normalised boxes [n,4] (x0,y0,x1,y1 in 0..1) -> [n,c]."""
    f = torch.as_tensor(np.asarray(fmap, dtype=np.float32))
    c, h, w = f.shape
    b = torch.as_tensor(np.asarray(boxes, dtype=np.float32))
    rois = torch.cat([torch.zeros(len(b), 1), b[:, 0:1] * w, b[:, 1:2] * h, b[:, 2:3] * w, b[:, 3:4] * h], 1)
    x = f.clamp(min=1e-6).pow(p)[None] if mode == "gem" else f[None]
    s = roi_align(x, rois, output_size=(k, k), spatial_scale=1.0, sampling_ratio=2, aligned=True).flatten(2)
    if mode == "max":
        return s.max(2).values
    m = s.mean(2)
    return m.clamp(min=1e-12).pow(1.0 / p) if mode == "gem" else m


def global_pool(maps, mode: str = "gem", p: float = 3.0) -> torch.Tensor:
    """Whole-map pooling of maps [n,c,h,w] -> [n,c]."""
    x = torch.as_tensor(np.asarray(maps, dtype=np.float32))
    if mode == "avg":
        return x.mean((2, 3))
    if mode == "max":
        return x.amax((2, 3))
    return x.clamp(min=1e-6).pow(p).mean((2, 3)).pow(1.0 / p)
