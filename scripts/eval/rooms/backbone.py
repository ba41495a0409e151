"""Adapter to the ImageNet EfficientNet-Lite member (issue 'models'; PyTorch port in $EFFNET_DIR).

$EFFNET_DIR holds effnet_lite.py (BN-folded EfficientNet-Lite, TF 'SAME' padding), preprocess.py
(the app's resize) and weights/efficientnet-lite0.pth.  No EfficientNet layer is defined here.

    bb = Backbone("lite0")
    maps = bb.feature_maps(batch_rgb_0_255_nchw)   # {'head': [n,1280,h/32,w/32], 'last': [n,320,h/32,w/32]}
      head: the last 1x1 conv after ReLU6 (what the ImageNet classifier average-pools)
      last: the last MBConv block's (linear) output
"""
import os
import sys

import torch

EFFNET = os.environ.get("EFFNET_DIR", "")


def _import_effnet():
    if not EFFNET or not os.path.exists(os.path.join(EFFNET, "effnet_lite.py")):
        raise SystemExit("set EFFNET_DIR to the folder with effnet_lite.py, preprocess.py and weights/ "
                         "(the ImageNet EfficientNet-Lite member); see docs/instance-search.md")
    if EFFNET not in sys.path:
        sys.path.insert(0, EFFNET)
    import effnet_lite
    import preprocess
    return effnet_lite, preprocess


class Backbone:
    def __init__(self, name: str = "lite0"):
        self.effnet, self.pre = _import_effnet()
        self.name = name
        self.input_size = self.effnet.VARIANTS[name][2]
        self.model = self.effnet.load(name, os.path.join(EFFNET, "weights")).eval()

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
