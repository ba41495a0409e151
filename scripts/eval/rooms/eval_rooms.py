"""Room-search ablation on VALIDATION rooms with raw ImageNet EfficientNet-Lite0 features (no training).

  python eval_rooms.py raw      layer x pooling x proposals x catalog pooling, best-region fusion
  python eval_rooms.py fusion   fusion rules on the best raw configuration
  python eval_rooms.py cost     proposal sets (regions per room) vs recall and ms
  python eval_rooms.py all

Needs the cached maps (cache_features.py).  Appends one JSON line per configuration to
results/rooms-val.jsonl and prints a table line.  Configurations are compared on validation
rooms only because nothing here is trained; nothing is tuned on validation rooms for the
trained head (train_head.py).
"""
import json
import os
import sys
import time

import torch

from common import RESULTS
from fusion import FUSIONS
from harness import Benchmark, fmt
from regions import catalog_feats, l2n, room_region_feats

torch.set_num_threads(1)
B = Benchmark()


def run(stage, proposals="win", pool="gem", layer="head", fusion="max", cat_crop=False, rooms="val"):
    cat = l2n(catalog_feats(pool, layer, crop=cat_crop))
    t_pool = [0.0]

    def emb(room):
        t0 = time.perf_counter()
        f = l2n(room_region_feats(room, proposals, pool, layer))
        t_pool[0] += time.perf_counter() - t0
        return f
    r = B.evaluate(emb, cat, FUSIONS[fusion], rooms)
    row = dict(stage=stage, proposals=proposals, pool=pool, layer=layer, fusion=fusion, catalog="bbox" if cat_crop else "whole",
               rooms=rooms, **r)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "rooms-val.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")
    print(f"{stage:6s} {proposals:5s} {layer:4s} {pool:3s} cat={row['catalog']:5s} {fusion:10s} {fmt(r)}", flush=True)
    return r


def stage_raw():
    for layer in ("head", "last"):
        for pool in ("gem", "avg"):
            for props in ("full", "big"):
                run("raw", props, pool, layer)
    run("raw", "big", "gem", "head", cat_crop=True)


def stage_fusion(props="big", pool="gem", layer="head", crop=False):
    for fu in FUSIONS:
        run("fusion", props, pool, layer, fu, crop)


def stage_cost(pool="gem", layer="head", fusion="max", crop=False):
    for props in ("full", "big", "s4r3", "win"):
        run("cost", props, pool, layer, fusion, crop)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    kw = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    if what in ("raw", "all"):
        stage_raw()
    if what in ("fusion", "all"):
        stage_fusion(**kw)
    if what in ("cost", "all"):
        stage_cost(**kw)
