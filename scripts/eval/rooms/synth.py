"""Synthetic scenes: catalog products pasted into TRAINING room photos.

Each scene = one training room (at the backbone input size, long side 640, sides
multiples of 32) with 3-6 product cutouts (products NOT in the held-out 20%) pasted
with random scale, position, perspective, small rotation, colour/brightness/
white-balance jitter, optional blur, a soft contact shadow, and optional partial
occlusion by a patch of the same room.  The label of each paste is its visible
bounding box (normalised) and the product's catalog index.

Usage: python synth.py N_SCENES [SEED]   (resumable: scenes already in scenes.json are kept)
Writes cache/synth_<seed>/scenes.json (labels) and, per scene, the backbone maps
cache/synth_<seed>/{head,last}/<k>.npy (float16) + a few preview JPEGs.
Deterministic: scene k uses random.Random(seed * 1_000_003 + k).
"""
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageFilter

from common import CACHE, DATA, is_heldout_item, load_products, read_split
from cutout import cutout
from features import pil_to_tensor, room_input_size

LONG_SIDE = 640


def _perspective_coeffs(src, dst):
    """PIL PERSPECTIVE coefficients mapping output (dst) corners to input (src) corners."""
    A, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); b.append(u)
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y]); b.append(v)
    return np.linalg.solve(np.array(A, float), np.array(b, float)).tolist()


def warp_cutout(c: Image.Image, rng: random.Random) -> Image.Image:
    """Random perspective (corners moved by up to 10%) and rotation (+-6 deg) of an RGBA cutout."""
    w, h = c.size
    j = 0.10
    dst = [(rng.uniform(0, j) * w, rng.uniform(0, j) * h), (w - rng.uniform(0, j) * w, rng.uniform(0, j) * h),
           (w - rng.uniform(0, j) * w, h - rng.uniform(0, j) * h), (rng.uniform(0, j) * w, h - rng.uniform(0, j) * h)]
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    c = c.transform((w, h), Image.PERSPECTIVE, _perspective_coeffs(src, dst), Image.BILINEAR)
    c = c.rotate(rng.uniform(-6, 6), Image.BILINEAR, expand=True)
    bbox = c.getchannel("A").point(lambda a: 255 if a > 64 else 0).getbbox()
    return c.crop(bbox) if bbox else c


def jitter_colour(c: Image.Image, rng: random.Random) -> Image.Image:
    a = c.getchannel("A")
    rgb = c.convert("RGB")
    rgb = ImageEnhance.Brightness(rgb).enhance(rng.uniform(0.6, 1.15))
    rgb = ImageEnhance.Contrast(rgb).enhance(rng.uniform(0.7, 1.15))
    rgb = ImageEnhance.Color(rgb).enhance(rng.uniform(0.7, 1.2))
    # white balance: warm/cool cast of the room light
    t = rng.uniform(-0.08, 0.08)
    r_, g_, b_ = rgb.split()
    r_ = r_.point(lambda v: min(255, int(v * (1 + t))))
    b_ = b_.point(lambda v: min(255, int(v * (1 - t))))
    rgb = Image.merge("RGB", (r_, g_, b_))
    if rng.random() < 0.4:
        rgb = rgb.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    rgb.putalpha(a)
    return rgb


def make_scene(room_rel: str, product_paths, item_indices, rng: random.Random):
    room = Image.open(os.path.join(DATA, room_rel)).convert("RGB")
    W, H = room_input_size(*room.size, LONG_SIDE)
    room = room.resize((W, H), Image.BILINEAR)
    orig = room.copy()
    boxes, labels = [], []
    for idx in item_indices:
        c = warp_cutout(cutout(product_paths[idx]), rng)
        # size: the product's larger side is 12%..70% of the room's shorter side (log-uniform)
        frac = math.exp(rng.uniform(math.log(0.12), math.log(0.70)))
        s = frac * min(W, H) / max(c.size)
        cw, ch = max(8, int(c.width * s)), max(8, int(c.height * s))
        c = jitter_colour(c.resize((cw, ch), Image.BILINEAR), rng)
        best = None
        for _ in range(20):  # place with little overlap with earlier pastes
            x, y = rng.randint(0, max(0, W - cw)), rng.randint(0, max(0, H - ch))
            box = np.array([x / W, y / H, min(1, (x + cw) / W), min(1, (y + ch) / H)])
            ov = max([_overlap(box, b) for b in boxes], default=0.0)
            if best is None or ov < best[0]:
                best = (ov, x, y, box)
            if ov < 0.15:
                break
        _, x, y, box = best
        a = c.getchannel("A")
        if rng.random() < 0.5:  # soft contact shadow: blurred, darkened alpha offset down-right
            sh = a.filter(ImageFilter.GaussianBlur(max(2, cw // 15))).point(lambda v: int(v * 0.45))
            dark = Image.new("RGB", c.size, (20, 20, 20))
            room.paste(dark, (x + cw // 30, y + ch // 25), sh)
        room.paste(c, (x, y), a)
        if rng.random() < 0.3:  # partial occlusion by a patch of the same room (from a random side)
            f = rng.uniform(0.15, 0.35)
            side = rng.choice(["bottom", "bottom", "left", "right", "top"])
            if side in ("bottom", "top"):
                ow, oh = cw, int(ch * f)
                ox, oy = x, (y + ch - oh if side == "bottom" else y)
            else:
                ow, oh = int(cw * f), ch
                ox, oy = (x + cw - ow if side == "right" else x), y
            sx, sy = rng.randint(0, max(0, W - ow)), rng.randint(0, max(0, H - oh))
            room.paste(orig.crop((sx, sy, sx + ow, sy + oh)), (ox, oy))
        boxes.append(box)
        labels.append(int(idx))
    return room, np.array(boxes, dtype=np.float32), labels


def _overlap(a, b):
    """Fraction of the smaller box covered by the intersection."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0])); iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    amin = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / max(amin, 1e-9)


def main():
    n = int(sys.argv[1]); seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    name = sys.argv[3] if len(sys.argv) > 3 else "lite0"
    torch.set_num_threads(1)
    from backbone import Backbone
    bb = Backbone(name)
    products = load_products()
    paths = [p["path"] for p in products]
    train_items = [i for i, p in enumerate(products) if not is_heldout_item(p["item_id"])]
    rooms = read_split("train-rooms.csv")
    out = os.path.join(CACHE, f"synth_{bb.name}_{seed}")
    for d in ("head", "last", "preview"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    meta_path = os.path.join(out, "scenes.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else []
    t = time.time()
    for k in range(len(meta), n):
        rng = random.Random(seed * 1_000_003 + k)
        room_rel = rooms[k % len(rooms)]
        items = rng.sample(train_items, rng.randint(3, 6))
        img, boxes, labels = make_scene(room_rel, paths, items, rng)
        if k < 12:
            img.save(os.path.join(out, "preview", f"{k}.jpg"), quality=90)
        maps = bb.feature_maps(pil_to_tensor(img)[None].float())
        for l in ("head", "last"):
            np.save(os.path.join(out, l, f"{k}.npy"), maps[l][0].numpy().astype(np.float16))
        meta.append({"room": room_rel, "boxes": boxes.round(4).tolist(), "items": labels})
        if k % 10 == 9 or k == n - 1:
            json.dump(meta, open(meta_path, "w"))
            print(f"scene {k + 1}/{n} {time.time() - t:.0f}s", flush=True)


if __name__ == "__main__":
    main()
