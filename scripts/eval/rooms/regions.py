"""Room -> pooled region features (one backbone pass, regions pooled from its map; cached) and
catalog -> pooled features.

Proposal sets (all class-agnostic multi-scale windows, proposals.py), from cheap to dense:
  full       the whole photo (1 region)
  big        windows of >= 0.55 of the shorter side, 3 aspect ratios (~75): what a furniture
             detector could propose at best
  s4r3       4 scales (1, .6, .4, .25) x 3 ratios (.5, 1, 2), overlap 0.5
  s6r3       6 scales (1 ... 0.2) x 3 ratios
  s4r5       4 scales x 5 ratios (.33 ... 3)
  win        6 scales x 5 ratios (~1,500 windows)
"""
import functools
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from common import DATA, cache_path
from features import global_pool, pool_regions
from proposals import big_boxes, sliding_windows

PROPOSALS = {
    "full": lambda w, h: np.array([[0, 0, 1, 1]], np.float32),
    "big": big_boxes,
    "s4r3": lambda w, h: sliding_windows(w, h, scales=(1.0, 0.6, 0.4, 0.25), ratios=(0.5, 1.0, 2.0)),
    "s6r3": lambda w, h: sliding_windows(w, h, ratios=(0.5, 1.0, 2.0)),
    "s4r5": lambda w, h: sliding_windows(w, h, scales=(1.0, 0.6, 0.4, 0.25)),
    "win": sliding_windows,
}


@functools.lru_cache(maxsize=None)
def room_size(room_rel):
    return Image.open(os.path.join(DATA, room_rel)).size


def room_boxes(room_rel, proposals="win"):
    return PROPOSALS[proposals](*room_size(room_rel))


def load_room_map(room_rel, bb_name="lite0", side=640, layer="head"):
    p = cache_path(f"rooms_{bb_name}_{side}_{layer}", os.path.basename(room_rel)[:-4] + ".npy")
    if not os.path.exists(p):
        raise SystemExit(f"{p} missing: run cache_features.py first")
    return np.load(p)


def room_region_feats(room_rel, proposals="win", pool="gem", layer="head", side=640, bb_name="lite0"):
    """[R, C] float16 pooled region features (cached per room, proposal set, layer and pooling)."""
    p = cache_path(f"regions_{bb_name}_{side}_{layer}_{pool}_{proposals}", os.path.basename(room_rel)[:-4] + ".npy")
    if os.path.exists(p):
        return np.load(p)
    f = pool_regions(load_room_map(room_rel, bb_name, side, layer), room_boxes(room_rel, proposals), pool).numpy().astype(np.float16)
    np.save(p, f)
    return f


def catalog_feats(pool="gem", layer="head", bb_name="lite0", size=224, crop=False):
    """[N, C] pooled catalog features; crop=True pools only under the product's bounding box."""
    p = cache_path(f"catalog_{bb_name}_{size}", f"{layer}_{pool}{'_crop' if crop else ''}.npy")
    if os.path.exists(p):
        return torch.from_numpy(np.load(p))
    maps = np.load(cache_path(f"catalog_{bb_name}_{size}", f"{layer}.npy"), mmap_mode="r")
    if crop:
        boxes = product_boxes()
        f = torch.cat([pool_regions(maps[i], boxes[i:i + 1], pool, k=7) for i in range(len(maps))])
    else:
        f = torch.cat([global_pool(maps[i:i + 256], pool) for i in range(0, len(maps), 256)])
    np.save(p, f.numpy())
    return f


def product_boxes():
    """[N,4] normalised bounding box of each product inside its white-background photo (cached)."""
    p = cache_path("", "product_bbox.npy")
    if not os.path.exists(p):
        from common import load_products
        from cutout import product_bbox
        np.save(p, np.array([product_bbox(q["path"]) for q in load_products()], np.float32))
    return np.load(p)


def l2n(x):
    return F.normalize(torch.as_tensor(np.asarray(x, dtype=np.float32)), dim=-1)
