"""Print the instance-head runs of results/head-runs.jsonl grouped by configuration: dev (training rooms,
held-out products; what settings are chosen on) and validation figures, per seed and mean."""
import json
import os
from collections import defaultdict

from common import RESULTS

groups = defaultdict(list)
for line in open(os.path.join(RESULTS, "head-runs.jsonl")):
    r = json.loads(line)
    a = r["args"]
    if "val" not in r:
        continue
    key = (a["data"], a.get("scenes", 60) if "synth" in a["data"] else 0, a["proposals"], a["steps"], a.get("asym", False))
    groups[key].append(r)
print("data | synthetic scenes | proposals | steps | asym | seeds | dev held R@50 | val R@10 | val R@50 | val R@100 | val held R@50")
for key, rs in sorted(groups.items()):
    m = lambda f: sum(f(r) for r in rs) / len(rs)
    per = lambda f: "/".join(f"{f(r):.3f}" for r in rs)
    print(" | ".join(map(str, key)), "|", ",".join(str(r["args"]["seed"]) for r in rs), "|",
          f"{m(lambda r: r['dev']['R@50_held']):.3f} ({per(lambda r: r['dev']['R@50_held'])})", "|",
          *[f"{m(lambda r, k=k: r['val'][k]):.3f} ({per(lambda r, k=k: r['val'][k])})" + " |" for k in ("R@10", "R@50", "R@100", "R@50_held")])
