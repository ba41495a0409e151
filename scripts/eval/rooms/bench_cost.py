"""Cost of a room query on this CPU (PyTorch, 1 thread): one backbone pass at long side 640,
region pooling for each proposal set, and scoring + fusion against the catalog.
Each figure is the minimum of --repeat runs (the machine is shared; the minimum is the least
disturbed).  Writes results/cost.json.

  python bench_cost.py [--repeat 5]
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from common import RESULTS, matmul_t, read_split
from features import pool_regions
from fusion import FUSIONS
from regions import PROPOSALS, catalog_feats, l2n, load_room_map, room_size

torch.set_num_threads(1)


def best_ms(fn, repeat):
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); out.append(1000 * (time.perf_counter() - t0))
    return min(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dim", type=int, default=1280, help="embedding size scored against the catalog (1280 raw, 256 with the head)")
    ap.add_argument("--skip-backbone", action="store_true")
    a = ap.parse_args()
    room = read_split("val-rooms.csv")[0]
    res = {"room": room, "size": room_size(room), "repeat": a.repeat}
    if not a.skip_backbone:
        from backbone import Backbone
        bb = Backbone("lite0")
        x = torch.rand(1, 3, 480, 640) * 255
        bb.feature_maps(x)
        res["backbone_640x480_ms"] = best_ms(lambda: bb.feature_maps(x), a.repeat)
        print(f"backbone 640x480: {res['backbone_640x480_ms']:.0f} ms", flush=True)
    fmap = load_room_map(room)
    cat = l2n(catalog_feats("gem", "head"))[:, :a.dim].contiguous()
    res["per_proposals"] = {}
    for name, fn in PROPOSALS.items():
        boxes = fn(*room_size(room))
        pool_ms = best_ms(lambda: pool_regions(fmap, boxes, "gem"), a.repeat)
        Q = l2n(pool_regions(fmap, boxes, "gem"))[:, :a.dim].contiguous()
        score_ms = best_ms(lambda: FUSIONS["max"](matmul_t(Q, cat)).topk(100), a.repeat)
        res["per_proposals"][name] = {"regions": len(boxes), "pool_ms": pool_ms, "score_ms": score_ms}
        print(f"{name:5s} {len(boxes):5d} regions: pool {pool_ms:7.1f} ms, score+fuse ({a.dim}-d x {len(cat)}) {score_ms:7.1f} ms", flush=True)
    os.makedirs(RESULTS, exist_ok=True)
    json.dump(res, open(os.path.join(RESULTS, f"cost-{a.dim}.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
