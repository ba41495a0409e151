"""Score a saved instance head (.npz from train_head.py) on validation rooms, per proposal set and
fusion rule:  python eval_head.py HEAD.npz [--proposals big,s4r3] [--fusion max,lse_T0.02]
Appends to results/head-val.jsonl."""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from common import RESULTS, matmul_t
from fusion import FUSIONS
from harness import Benchmark, fmt
from regions import catalog_feats, room_region_feats

torch.set_num_threads(1)


def load_head(path):
    z = {k: torch.from_numpy(v.astype(np.float32)) for k, v in np.load(path).items()}
    q = (z.get("query_W", z["W"]), z.get("query_b", z["b"]))

    def embed(x, side="query"):
        W, b = q if side == "query" else (z["W"], z["b"])
        return F.normalize(matmul_t(F.normalize(torch.as_tensor(np.asarray(x, np.float32)), dim=-1), W) + b, dim=-1)
    return embed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("head")
    ap.add_argument("--proposals", default="big")
    ap.add_argument("--fusion", default="max")
    ap.add_argument("--rooms", default="val")
    a = ap.parse_args()
    embed = load_head(a.head)
    B = Benchmark()
    cat = embed(catalog_feats("gem", "head"), "catalog")
    for props in a.proposals.split(","):
        cache = {}
        for fu in a.fusion.split(","):
            def emb(room):
                if room not in cache:
                    cache[room] = embed(room_region_feats(room, props, "gem", "head"))
                return cache[room]
            r = B.evaluate(emb, cat, FUSIONS[fu], a.rooms)
            print(f"{os.path.basename(a.head)} {props:5s} {fu:10s} {a.rooms} {fmt(r)}", flush=True)
            os.makedirs(RESULTS, exist_ok=True)
            with open(os.path.join(RESULTS, "head-val.jsonl"), "a") as f:
                f.write(json.dumps(dict(head=os.path.basename(a.head), proposals=props, fusion=fu, rooms=a.rooms, **r)) + "\n")


if __name__ == "__main__":
    main()
