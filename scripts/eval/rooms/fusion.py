"""How a room's R x N cosine matrix (regions x catalog items) becomes one score per catalog item.

  max        best region: score(item) = max over regions of the cosine
  topK_mean  mean of the item's K best regions (sum of the top K, up to a constant)
  lse_T      soft maximum T * logsumexp(cos / T) over regions
  rrf_k      reciprocal-rank fusion of the regions' ranked lists (each region's first `depth`):
             score(item) = sum over regions of 1 / (k + rank of the item in that region's list)
"""
import torch


def fuse_max(S):
    return S.max(0).values


def fuse_topk_mean(k):
    def f(S):
        return S.topk(min(k, S.shape[0]), dim=0).values.mean(0)
    f.__name__ = f"top{k}_mean"
    return f


def fuse_lse(T):
    def f(S):
        return T * torch.logsumexp(S / T, 0)
    f.__name__ = f"lse_T{T}"
    return f


def fuse_rrf(k0=60, depth=200):
    def f(S):
        R, N = S.shape
        d = min(depth, N)
        idx = S.topk(d, dim=1).indices
        w = 1.0 / (k0 + torch.arange(1, d + 1, dtype=torch.float32))
        out = torch.zeros(N)
        out.index_add_(0, idx.flatten(), w.repeat(R))
        return out
    f.__name__ = f"rrf_k{k0}"
    return f


FUSIONS = {"max": fuse_max, "top3_mean": fuse_topk_mean(3), "top10_mean": fuse_topk_mean(10),
           "lse_T0.02": fuse_lse(0.02), "lse_T0.05": fuse_lse(0.05), "rrf_k60": fuse_rrf(60), "rrf_k10": fuse_rrf(10)}
