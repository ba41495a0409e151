"""The two ensemble members in PyTorch with their manifest entries: MobileNetV3-S as torchvision's network with the
qvac GGUF's state dict (and fine-tuned tensors on top, if given), MobileNetV3-L 0.75 as the converted CenterNet
graph (graph_net.py). check.py verifies that both give the app's features."""
import json, os, numpy as np, torch, torchvision
from gguf_reader import read_gguf
from graph_net import GraphNet

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
MANIFEST = json.load(open(os.path.join(REPO, 'model-artifacts/shipped/manifest.json')))
IDS = {'s': 'mnv3s', 'l': 'mnv3l075'}


def read_tuned(dirname):
    """Fine-tuned tensors as finetune.py writes them (scripts/lib/tuned-tensors.ts reads the same files)."""
    index = json.load(open(os.path.join(dirname, 'tensors.json'))); data = open(os.path.join(dirname, 'tensors.bin'), 'rb').read()
    return {t['name']: np.frombuffer(data, '<f2', int(np.prod(t['shape'])), t['offset']).astype(np.float32).reshape(t['shape']) for t in index['tensors']}


L_BLOCKS = 15  # expanded_conv_0–14


class Member:
    """`feature_map(x)`: normalised [n, 3, 224, 224] → the feature node's map; blocks from `first` on are `trainable`
    (S: features.N, L: expanded_conv_N), the ones before run without gradients."""

    def __init__(self, member, first, gguf=None, tuned=None):
        self.entry = next(m for m in MANIFEST['models'] if m['id'] == IDS[member])
        norm = self.entry['normalization']
        if norm['channelOrder'] != 'rgb': raise ValueError(f"{self.entry['id']}: only RGB input is supported")
        self.scale, self.mean, self.std = norm['scale'], torch.tensor(norm['mean']).view(1, 3, 1, 1), torch.tensor(norm['std']).view(1, 3, 1, 1)
        if member == 's':
            _, tensors = read_gguf(gguf)
            if tuned: tensors.update(read_tuned(tuned))
            net = torchvision.models.mobilenet_v3_small(num_classes=3)
            net.load_state_dict({k: torch.from_numpy(v.copy()) if v.ndim else torch.tensor(int(v)) for k, v in tensors.items()})
            self.frozen, self.tuned = net.features[:first].eval(), net.features[first:].eval()
            for p in self.frozen.parameters(): p.requires_grad = False
            self.trainable = list(self.tuned.parameters())
        else:
            self.graph = GraphNet(os.path.join(REPO, 'model-artifacts/shipped', self.entry['id']), [self.entry['featureNode']])
            blocks = [f'expanded_conv_{i}/' for i in range(first, L_BLOCKS)]
            self.trainable = []
            for name, key in self.graph.key.items():
                on = any(b in name for b in blocks); self.graph.params[key].requires_grad = on
                if on: self.trainable.append(self.graph.params[key])
        self.member = member

    def normalise(self, pixels):
        """[n, 3, h, w] RGB 0–255 → the member's input, as workers/models/preprocess.ts."""
        return (pixels * self.scale - self.mean) / self.std

    def feature_map(self, x):
        if self.member == 'l': return self.graph(x)[0]
        with torch.no_grad(): z = self.frozen(x)
        return self.tuned(z)
