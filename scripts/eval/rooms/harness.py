"""recall@10/50/100 of one ranked catalog list per room photo, on the committed split.

A configuration gives, per room, its regions' embeddings [R, d] (L2-normalised rows) and a
catalog [N, d] (L2-normalised, products.csv order); a fusion rule turns the R x N cosines into one
score per item.  recall@K = fraction of (room, item) pairs whose item is among the room's first K.
Reported for validation rooms: all pairs, pairs whose product is held out of training ('held'),
and pairs whose product also appears in a training room ('in_train_room').
"""
import time

import numpy as np
import torch

from common import load_pairs, load_products, matmul_t, read_split

KS = (10, 50, 100)


class Benchmark:
    def __init__(self):
        self.products = load_products()
        self.item_index = {p["item_id"]: i for i, p in enumerate(self.products)}
        self.val_rooms = read_split("val-rooms.csv")
        self.train_rooms = read_split("train-rooms.csv")
        self.heldout = set(read_split("heldout-items.csv"))
        self.room_items = {}
        for r, i in load_pairs():
            self.room_items.setdefault(r, []).append(i)
        ts = set(self.train_rooms)
        self.train_room_items = {i for r, items in self.room_items.items() if r in ts for i in items}

    def rooms(self, which):
        return {"val": self.val_rooms, "train": self.train_rooms}[which]

    def evaluate(self, region_embeddings, catalog, fusion, rooms="val"):
        """region_embeddings(room) -> [R,d]; returns recalls, pair counts and ms per room for scoring + fusion."""
        cat = torch.as_tensor(catalog, dtype=torch.float32)
        hits, held, seen = {k: [] for k in KS}, [], []
        t_score, n_regions = 0.0, 0
        room_list = self.rooms(rooms)
        for room in room_list:
            Q = torch.as_tensor(region_embeddings(room), dtype=torch.float32)
            n_regions += Q.shape[0]
            t0 = time.perf_counter()
            scores = fusion(matmul_t(Q, cat))
            top = scores.topk(max(KS)).indices.numpy()
            t_score += time.perf_counter() - t0
            pos = {int(i): r for r, i in enumerate(top)}
            for item in self.room_items[room]:
                rank = pos.get(self.item_index[item], 10 ** 9)
                for k in KS:
                    hits[k].append(rank < k)
                held.append(item in self.heldout)
                seen.append(item in self.train_room_items)
        held, seen = np.array(held), np.array(seen)
        res = {"n_pairs": int(len(held)), "n_held": int(held.sum()), "n_in_train_room": int(seen.sum()),
               "regions_per_room": n_regions / len(room_list), "ms_score": 1000 * t_score / len(room_list)}
        for k in KS:
            h = np.array(hits[k])
            res[f"R@{k}"] = float(h.mean())
            res[f"R@{k}_held"] = float(h[held].mean()) if held.any() else float("nan")
            res[f"R@{k}_in_train_room"] = float(h[seen].mean()) if seen.any() else float("nan")
        return res


def fmt(res):
    return (f"R@10={res['R@10']:.3f} R@50={res['R@50']:.3f} R@100={res['R@100']:.3f} | held R@50={res['R@50_held']:.3f}"
            f" | {res['regions_per_room']:.0f} regions, {res['ms_score']:.1f} ms score")
