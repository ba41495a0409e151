"""Offline HNSW build for scripts/bench/bench-ann.ts (--builder native): the same hnswlib C++ that
hnswlib-wasm compiles, through its own Python binding (pip install hnswlib==0.8.0 numpy), multi-threaded
and with the CPU's SIMD, written with save_index: the file format hnswlib-wasm's readIndex reads.

    python ann-build-hnswlib.py <base.f32> <out> <n> <d> <M> <efConstruction> <seed> <threads>

Prints progress lines, then one JSON line: {"buildMs": …, "indexBytes": …, "threads": …, "hnswlib": …}.
"""

import json
import os
import sys
import time

import hnswlib
import numpy as np


def main() -> None:
    base, out = sys.argv[1], sys.argv[2]
    n, d, m, ef_construction, seed, threads = (int(x) for x in sys.argv[3:9])
    data = np.fromfile(base, dtype=np.float32).reshape(n, d)
    index = hnswlib.Index(space="ip", dim=d)
    index.init_index(max_elements=n, ef_construction=ef_construction, M=m, random_seed=seed)
    index.set_num_threads(threads)
    started = time.perf_counter()
    step = 50_000
    for start in range(0, n, step):
        end = min(n, start + step)
        index.add_items(data[start:end], np.arange(start, end))
        elapsed = time.perf_counter() - started
        print(f"native build: {end}/{n} added, {end / elapsed:.0f}/s", flush=True)
    build_ms = (time.perf_counter() - started) * 1000
    index.save_index(out)
    print(
        json.dumps(
            {
                "buildMs": build_ms,
                "indexBytes": os.path.getsize(out),
                "threads": threads,
                "hnswlib": getattr(hnswlib, "__version__", "0.8.0"),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
