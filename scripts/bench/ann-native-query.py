"""Reference for bench-ann's 1M run, where hnswlib-wasm cannot load its index in Chromium (IndexedDB refuses
the 1.17 GB value): the same index file (wasm32 layout, as bench-ann wrote it) rewritten back into the native
layout and queried with hnswlib 0.8.0's Python binding, one thread: recall@10 against bench-ann's float32
truth (the graph and search are the same code, so recall carries over to the wasm build; the times do not:
they are native, SIMD).

    python ann-native-query.py <bench-ann data dir, e.g. .cache/ann-bench/real-1000000> <scratch file>
"""
import json
import struct
import sys
import time

import hnswlib
import numpy as np

d = sys.argv[1].rstrip('/') + '/'
scratch = sys.argv[2]
src = open(d + 'index-native.hnsw', 'rb').read()
h = struct.unpack('<IIIIIIiIIIIdI', src[:56])
off0, maxel, cnt, size, laboff, offdata, maxlevel, ep, maxM, maxM0, M, mult, efc = h
lvl0 = np.frombuffer(src, dtype=np.uint8, count=cnt * size, offset=56).reshape(cnt, size)
out = bytearray(struct.pack('<QQQQQQiIQQQdQ', off0, maxel, cnt, size + 4, laboff, offdata, maxlevel, ep, maxM, maxM0, M, mult, efc))
new = np.zeros((cnt, size + 4), dtype=np.uint8)
new[:, :size] = lvl0
out += new.tobytes()
out += src[56 + cnt * size:]
open(scratch, 'wb').write(out)
del src, new, lvl0
p = hnswlib.Index(space='ip', dim=256)
p.load_index(scratch, max_elements=cnt)
p.set_num_threads(1)
q = np.fromfile(d + 'queries.f32', dtype=np.float32).reshape(-1, 256)
truth = np.fromfile(d + 'truth.i32', dtype=np.int32).reshape(-1, 10)
for ef in [16, 32, 64, 128, 256, 512]:
    p.set_ef(ef)
    times = []; rec = 0
    for i in range(len(q)):
        t = time.perf_counter(); lab, _ = p.knn_query(q[i:i+1], k=10); times.append((time.perf_counter() - t) * 1000)
        rec += len(set(lab[0].tolist()) & set(truth[i].tolist())) / 10
    times.sort()
    print(json.dumps({'efSearch': ef, 'recallAt10': rec / len(q), 'medianMs': times[len(times)//2], 'p95Ms': times[int(0.95*len(times))]}), flush=True)
