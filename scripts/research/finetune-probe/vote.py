"""Soft vote of two finetune.py outputs (L first, then S), for L's weight w in 0.4–0.6: clothing-photos val
top-1/top-3 on the mean of the whole photo and its centre 80% (the app's crop view for clothing), and the held-out
ikea products' top-1 on the whole photo (the crop view opens for 2 of the 296 in the app).

  /usr/bin/python3 vote.py .cache/finetune-probe/probs-l-….npz .cache/finetune-probe/probs-s-….npz"""
import sys, numpy as np

l, s = (np.load(f) for f in sys.argv[1:3])
def top(p, t, k): return float(np.mean([t[i] in np.argsort(-p[i])[:k] for i in range(len(t))]))
def member(m): return (m['clothing_whole'] + m['clothing_crop']) / 2, m['ikea']
(lc, li), (sc, si) = member(l), member(s)
ct, it = l['clothing_truth'], l['ikea_truth']
print(f'L alone: clothing {top(lc, ct, 1):.3f}/{top(lc, ct, 3):.3f} ikea {top(li, it, 1):.3f}')
print(f'S alone: clothing {top(sc, ct, 1):.3f}/{top(sc, ct, 3):.3f} ikea {top(si, it, 1):.3f}')
for w in [0.4, 0.45, 0.5, 0.55, 0.6]:
    c, i = w * lc + (1 - w) * sc, w * li + (1 - w) * si
    print(f'vote L {w:.2f} / S {1 - w:.2f}: clothing {top(c, ct, 1):.3f}/{top(c, ct, 3):.3f} ikea {top(i, it, 1):.3f}')
