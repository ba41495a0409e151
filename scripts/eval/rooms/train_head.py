"""Instance projection head: pooled Lite0 region features -> d-dim embedding where a room region
lands next to its product's white-background catalog photo.

Training data (never a validation room, never a held-out product, as positive or negative):
  synth  synthetic scenes (synth.py): catalog cut-outs pasted into TRAINING rooms; each paste's box
         (jittered) is pooled from the scene's one backbone pass; positive = the product's catalog photo
  mil    multiple-instance learning over TRAINING rooms' (room, item) pairs: an item's score is the
         soft maximum over the room's regions; the room's other items are not negatives
  aug    catalog photos as their own positives: random sub-boxes of the catalog map
Loss: InfoNCE against all training products' catalog embeddings (the proxies are the catalog
photos themselves, embedded by the same head; --asym gives the query side its own head).

Model selection uses only training rooms: the pairs of TRAINING rooms whose product is held out
('dev' below).  Validation rooms are scored once, at the end, for the report.

  python train_head.py --data synth,mil,aug --proposals s4r3 --steps 150 --negatives 256 --seed 0 --eval-val --out head.npz
"""
import argparse
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import roi_align

from common import CACHE, RESULTS, is_heldout_item, load_products, matmul_t, seed_everything
from features import pool_regions
from fusion import FUSIONS
from harness import Benchmark, fmt
from regions import catalog_feats, l2n, room_region_feats

torch.set_num_threads(1)


class Head(nn.Module):
    """x -> normalize(W normalize(x) + b); W initialised with the top principal directions."""

    def __init__(self, d_in, d_out, init=None, asym=False):
        super().__init__()
        self.cat = nn.Linear(d_in, d_out)
        if init is not None:
            self.cat.weight.data.copy_(init[0]); self.cat.bias.data.copy_(init[1])
        self.query = nn.Linear(d_in, d_out) if asym else self.cat
        if asym:
            self.query.load_state_dict(self.cat.state_dict())

    def embed(self, x, side="query"):
        lin = self.query if side == "query" else self.cat
        return F.normalize(matmul_t(F.normalize(x, dim=-1), lin.weight) + lin.bias, dim=-1)


def pca_init(X, d, iters=4, seed=0):
    """Weights projecting centred, normalised X onto its top d principal directions
    (subspace iteration on the covariance; every product through matmul_t)."""
    Xn = F.normalize(X, dim=-1)
    mu = Xn.mean(0)
    Xc = (Xn - mu).T.contiguous()                      # [C, M]
    cov = matmul_t(Xc, Xc) / Xn.shape[0]               # [C, C]
    g = torch.Generator().manual_seed(seed)
    Q = torch.linalg.qr(torch.randn(X.shape[1], d, generator=g))[0]
    for _ in range(iters):
        Q = torch.linalg.qr(matmul_t(cov, Q.T.contiguous()))[0]
    W = Q.T.contiguous()
    return W, -(W @ mu)


def jitter_box(b, rng, amount=0.15):
    w, h = b[2] - b[0], b[3] - b[1]
    d = [rng.uniform(-amount, amount) * s for s in (w, h, w, h)]
    x0, y0, x1, y1 = b[0] + d[0], b[1] + d[1], b[2] + d[2], b[3] + d[3]
    return [max(0, min(x0, x1 - 0.02)), max(0, min(y0, y1 - 0.02)), min(1, max(x1, x0 + 0.02)), min(1, max(y1, y0 + 0.02))]


def synth_examples(name, pool, layer, n_jitter, rng, max_scenes=None):
    """(features [M,C], item index [M]) of every paste box of the first max_scenes synthetic scenes in cache/<name>."""
    d = os.path.join(CACHE, name)
    meta = json.load(open(os.path.join(d, "scenes.json")))[:max_scenes]
    X, y = [], []
    for k, s in enumerate(meta):
        fmap = np.load(os.path.join(d, layer, f"{k}.npy"))
        boxes = [b for b in s["boxes"] for _ in range(1 + n_jitter)]
        boxes = [b if j % (1 + n_jitter) == 0 else jitter_box(b, rng) for j, b in enumerate(boxes)]
        X.append(pool_regions(fmap, np.array(boxes, np.float32), pool))
        y += [i for i in s["items"] for _ in range(1 + n_jitter)]
    return torch.cat(X), torch.tensor(y)


def catalog_aug_examples(items, pool, layer, n_per, rng, chunk=128):
    """Random sub-boxes (55-100% of each side) of training products' catalog maps, pooled."""
    maps = np.load(os.path.join(CACHE, "catalog_lite0_224", f"{layer}.npy"), mmap_mode="r")
    X, y = [], []
    for c in range(0, len(items), chunk):
        part = items[c:c + chunk]
        f = torch.from_numpy(np.asarray(maps[part], dtype=np.float32))
        if pool == "gem":
            f = f.clamp(min=1e-6).pow(3)
        rois = []
        for j in range(len(part)):
            for _ in range(n_per):
                w, h = rng.uniform(0.55, 1.0), rng.uniform(0.55, 1.0)
                x0, y0 = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
                rois.append([j, x0 * 7, y0 * 7, (x0 + w) * 7, (y0 + h) * 7])
        s = roi_align(f, torch.tensor(rois, dtype=torch.float32), (3, 3), 1.0, 2, True).flatten(2).mean(2)
        X.append(s.clamp(min=1e-12).pow(1 / 3) if pool == "gem" else s)
        y += [i for i in part for _ in range(n_per)]
    return torch.cat(X), torch.tensor(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="synth,mil")
    ap.add_argument("--synth", default="synth_lite0_0")
    ap.add_argument("--scenes", type=int, default=60, help="use the first N synthetic scenes")
    ap.add_argument("--proposals", default="big")
    ap.add_argument("--pool", default="gem")
    ap.add_argument("--layer", default="head")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--tau", type=float, default=0.05)
    ap.add_argument("--mil-tau", type=float, default=0.02)
    ap.add_argument("--mil-weight", type=float, default=1.0)
    ap.add_argument("--negatives", type=int, default=512, help="random training products added to each step's proxies")
    ap.add_argument("--asym", action="store_true")
    ap.add_argument("--fusion", default="max")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="")
    ap.add_argument("--eval-val", action="store_true", help="also score validation rooms at the end (report only)")
    a = ap.parse_args()
    seed_everything(a.seed)
    rng = random.Random(a.seed)
    data = set(a.data.split(","))
    B = Benchmark()
    products = load_products()
    train_items = torch.tensor([i for i, p in enumerate(products) if not is_heldout_item(p["item_id"])])
    cat_all = catalog_feats(a.pool, a.layer)
    d_in = cat_all.shape[1]
    t0 = time.time()

    # ---- training inputs
    sx = sy = None
    if "synth" in data:
        sx, sy = synth_examples(a.synth, a.pool, a.layer, 3, rng, a.scenes)
        print(f"synthetic pastes: {len(sy)} examples ({len(set(sy.tolist()))} products)", flush=True)
    if "aug" in data:
        ax, ay = catalog_aug_examples(train_items.tolist(), a.pool, a.layer, 2, rng)
        sx = ax if sx is None else torch.cat([sx, ax]); sy = ay if sy is None else torch.cat([sy, ay])
    assert sy is None or not any(is_heldout_item(products[i]["item_id"]) for i in set(sy.tolist()))
    mil = []
    if "mil" in data:
        for room in B.train_rooms:
            items = [B.item_index[i] for i in B.room_items[room] if i not in B.heldout]
            if items:
                mil.append((torch.from_numpy(room_region_feats(room, a.proposals, a.pool, a.layer).astype(np.float32)), items))
        print(f"MIL bags: {len(mil)} training rooms, {sum(len(i) for _, i in mil)} (room, item) pairs", flush=True)
    # PCA init from the catalog and training rooms' regions (no labels)
    init_x = [cat_all] + [r for r, _ in mil[:30]]
    head = Head(d_in, a.dim, pca_init(torch.cat(init_x), a.dim), a.asym)
    # position of each training product among the proxies
    proxy_of = torch.full((len(products),), -1, dtype=torch.long)
    proxy_of[train_items] = torch.arange(len(train_items))
    cat_train = cat_all[train_items]

    def dev_eval(rooms):
        with torch.no_grad():
            C = head.embed(cat_all, "catalog")
            return B.evaluate(lambda r: head.embed(torch.from_numpy(room_region_feats(r, a.proposals, a.pool, a.layer).astype(np.float32))),
                              C, FUSIONS[a.fusion], rooms)

    raw = B.evaluate(lambda r: l2n(room_region_feats(r, a.proposals, a.pool, a.layer)), l2n(cat_all), FUSIONS[a.fusion], "train")
    print(f"dev with raw features: R@10={raw['R@10_held']:.3f} R@50={raw['R@50_held']:.3f} R@100={raw['R@100_held']:.3f}", flush=True)
    opt = torch.optim.AdamW(head.parameters(), lr=a.lr, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, a.lr, total_steps=a.steps, pct_start=0.1)
    log = []
    n_train = len(train_items)
    for step in range(a.steps):
        # this step's proxies: its positives plus random training products (all of them when small)
        idx = torch.randint(len(sy), (a.batch,)) if sy is not None else None
        Rm, items = mil[rng.randrange(len(mil))] if mil else (None, [])
        wanted = [proxy_of[sy[idx]]] if idx is not None else []
        wanted.append(proxy_of[torch.tensor(items, dtype=torch.long)])
        wanted.append(torch.randint(n_train, (a.negatives,)))
        sub = torch.unique(torch.cat(wanted))
        local = torch.full((n_train,), -1, dtype=torch.long)
        local[sub] = torch.arange(len(sub))
        C = head.embed(cat_train[sub], "catalog")
        loss = torch.zeros(())
        if idx is not None:
            Q = head.embed(sx[idx])
            loss = loss + F.cross_entropy(matmul_t(Q, C) / a.tau, local[proxy_of[sy[idx]]])
        if mil:
            S = matmul_t(head.embed(Rm), C)                       # [R, proxies]
            room_score = a.mil_tau * torch.logsumexp(S / a.mil_tau, 0)   # soft best region per item
            pos = local[proxy_of[torch.tensor(items)]]
            logits = (room_score / a.tau).expand(len(items), -1).clone()
            mask = torch.zeros_like(logits, dtype=torch.bool)
            mask[:, pos] = True
            mask[torch.arange(len(items)), pos] = False          # the room's other items are not negatives
            logits[mask] = -1e4
            loss = loss + a.mil_weight * F.cross_entropy(logits, pos)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if step % 100 == 0 or step == a.steps - 1:
            print(f"step {step} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
    dev = dev_eval("train")
    print(f"dev (training rooms, held-out products): R@10={dev['R@10_held']:.3f} R@50={dev['R@50_held']:.3f} "
          f"R@100={dev['R@100_held']:.3f}  (all train pairs R@50={dev['R@50']:.3f})", flush=True)
    row = dict(args=vars(a), dev_raw=raw, dev=dev)
    if a.eval_val:
        val = dev_eval("val")
        print("VAL", fmt(val), flush=True)
        row["val"] = val
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "head-runs.jsonl"), "a") as f:
        f.write(json.dumps(row, default=float) + "\n")
    if a.out:
        save_head(head, a.out)


def save_head(head, path):
    """.npz (float16: W [d_out, d_in], b [d_out]; query_W/query_b when asymmetric) or a torch state dict (.pt).
    The app's use: e = normalize(W @ normalize(gem_pooled_region) + b)."""
    if path.endswith(".npz"):
        arrays = {"W": head.cat.weight, "b": head.cat.bias}
        if head.query is not head.cat:
            arrays.update(query_W=head.query.weight, query_b=head.query.bias)
        np.savez(path, **{k: v.detach().numpy().astype(np.float16) for k, v in arrays.items()})
    else:
        torch.save(head.state_dict(), path)


if __name__ == "__main__":
    main()
