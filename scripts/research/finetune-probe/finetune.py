"""Fine-tunes one ensemble member's last blocks together with a softmax layer, with image augmentation, on the
training photos of photos.npz (clothing-photos train, H&M catalog, ikea training products), and writes its
probabilities on clothing-photos val (whole photo and centre 80%) and on the held-out ikea products.

  /usr/bin/python3 finetune.py --member s --first 6      # MobileNetV3-S, features.6–12 trained
  /usr/bin/python3 finetune.py --member l --first 9      # MobileNetV3-L 0.75, expanded_conv_9–14 trained

A measurement, not a trainer of shipped weights: it starts from the same weights the app ships (the qvac GGUF,
the converted CenterNet graph) and reports what fine-tuning would give. BatchNorm statistics stay frozen."""
import argparse, os, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F, torchvision
from gguf_reader import read_gguf
from graph_net import GraphNet

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
OUT = os.path.join(REPO, '.cache/finetune-probe')
GGUF = os.path.join(REPO, '.cache/npm/qvac-classification-ggml-0.26.3/package/weights/mobilenetv3_3class_v3_fp16.gguf')
L_FEATURE = 'tower_0/MobilenetV3/expanded_conv_14/expand/hard_swish/mul_1'

ap = argparse.ArgumentParser()
ap.add_argument('--member', choices=['s', 'l'], required=True)
ap.add_argument('--first', type=int, required=True, help='first trained block (S: features.N, L: expanded_conv_N)')
ap.add_argument('--epochs', type=int, default=6)
ap.add_argument('--ikea-weight', type=int, default=2, help='times each ikea training product is seen per epoch')
ap.add_argument('--frozen', action='store_true', help='train only the softmax layer (the same recipe on frozen features)')
ap.add_argument('--seed', type=int, default=0)
args = ap.parse_args()
torch.set_num_threads(2); torch.manual_seed(args.seed); rng = np.random.default_rng(args.seed)

data = np.load(os.path.join(OUT, 'photos.npz'))
X = torch.from_numpy(data['X']).permute(0, 3, 1, 2).contiguous(); y = torch.from_numpy(data['y']); sets = data['s']

if args.member == 's':
    if not os.path.exists(GGUF): raise SystemExit(f'{GGUF} is missing: run `npm run models:build` first')
    meta, tensors = read_gguf(GGUF)
    net = torchvision.models.mobilenet_v3_small(num_classes=3)
    net.load_state_dict({k: torch.from_numpy(v.copy()) if v.ndim else torch.tensor(int(v)) for k, v in tensors.items()})
    mean = torch.tensor([meta[f'mobilenet.mean_{c}'] for c in 'rgb']).view(1, 3, 1, 1) * 255
    std = torch.tensor([meta[f'mobilenet.std_{c}'] for c in 'rgb']).view(1, 3, 1, 1) * 255
    frozen, tuned = net.features[:args.first].eval(), net.features[args.first:].eval()
    for p in frozen.parameters(): p.requires_grad = False
    trainable, dim = list(tuned.parameters()), 576
    def feature_map(x):
        with torch.no_grad(): z = frozen(x)
        return tuned(z)
else:
    graph = GraphNet(os.path.join(REPO, 'model-artifacts/mnv3l075'), [L_FEATURE])
    mean, std, dim = torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1), 720  # the graph takes 0–255 pixels
    blocks = [f'expanded_conv_{i}/' for i in range(args.first, 15)]
    trainable = []
    for name, key in graph.key.items():
        on = any(b in name for b in blocks); graph.params[key].requires_grad = on
        if on: trainable.append(graph.params[key])
    def feature_map(x): return graph(x)[0]
if args.frozen:
    for p in trainable: p.requires_grad = False

head = nn.Linear(dim, 23); dropout = nn.Dropout(0.2)
def pooled(x): return F.adaptive_avg_pool2d(feature_map(x), 1).flatten(1)

def augment(batch, catalog):
    """Random crop (35–100% of the photo, 60–100% for catalog shots), aspect 3:4–4:3, mirror, brightness/contrast."""
    out = torch.empty(len(batch), 3, 224, 224)
    for i in range(len(batch)):
        area = rng.uniform(0.6 if catalog[i] else 0.35, 1); aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        w = int(min(256, round(256 * np.sqrt(area * aspect)))); h = int(min(256, round(256 * np.sqrt(area / aspect))))
        x0, y0 = rng.integers(0, 257 - w), rng.integers(0, 257 - h)
        img = F.interpolate(batch[i:i + 1, :, y0:y0 + h, x0:x0 + w].float(), size=(224, 224), mode='bilinear', align_corners=False, antialias=True)
        if rng.random() < 0.5: img = img.flip(3)
        out[i] = (img[0] * rng.uniform(0.8, 1.2) + rng.uniform(-20, 20)).clamp(0, 255)
    return (out - mean) / std

def view(batch, box=None):
    batch = batch.float()
    if box: batch = batch[:, :, box[0]:box[1], box[0]:box[1]]
    return (F.interpolate(batch, size=(224, 224), mode='bilinear', align_corners=False, antialias=True) - mean) / std

def probabilities(index, box=None):
    head.eval()
    with torch.no_grad():
        return torch.cat([F.softmax(head(pooled(view(X[index[i:i + 128]], box))), 1) for i in range(0, len(index), 128)])

train = np.concatenate([np.where(np.isin(sets, ['ctrain', 'hm', 'itrain']))[0]] + [np.where(sets == 'itrain')[0]] * (args.ikea_weight - 1))
cval, itest = np.where(sets == 'cval')[0], np.where(sets == 'itest')[0]
catalog = torch.from_numpy(np.isin(sets, ['hm', 'itrain']))
groups = [{'params': head.parameters(), 'lr': 1e-3}] + ([] if args.frozen else [{'params': trainable, 'lr': 2e-4}])
optimiser = torch.optim.AdamW(groups, weight_decay=1e-4)
steps = args.epochs * (len(train) // 64)
schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[g['lr'] for g in groups], total_steps=steps, pct_start=0.1)
started = time.time()
for epoch in range(args.epochs):
    order = rng.permutation(train); head.train()
    for i in range(0, len(order) - 63, 64):
        b = order[i:i + 64]
        loss = F.cross_entropy(head(dropout(pooled(augment(X[b], catalog[b])))), y[b], label_smoothing=0.1)
        optimiser.zero_grad(); loss.backward(); optimiser.step(); schedule.step()
    print(f'epoch {epoch + 1}/{args.epochs} loss {loss.item():.3f} ({time.time() - started:.0f} s)', flush=True)

whole, crop, ikea = probabilities(cval), probabilities(cval, (26, 230)), probabilities(itest)
top1 = lambda p, t: (p.argmax(1) == t).float().mean().item()
top3 = lambda p, t: (p.topk(3, 1).indices == t[:, None]).any(1).float().mean().item()
both = (whole + crop) / 2
print(f'clothing val whole {top1(whole, y[cval]):.3f}/{top3(whole, y[cval]):.3f}, whole+crop {top1(both, y[cval]):.3f}/{top3(both, y[cval]):.3f}; ikea held-out {top1(ikea, y[itest]):.3f}')
name = f'{args.member}-first{args.first}-ikea{args.ikea_weight}-seed{args.seed}{"-frozen" if args.frozen else ""}'
np.savez(os.path.join(OUT, f'probs-{name}.npz'), clothing_whole=whole.numpy(), clothing_crop=crop.numpy(), ikea=ikea.numpy(),
         clothing_truth=y[cval].numpy(), ikea_truth=y[itest].numpy())
print('wrote', os.path.join(OUT, f'probs-{name}.npz'))
