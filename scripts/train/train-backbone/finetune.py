"""Fine-tunes one ensemble member's last blocks together with a softmax layer over the manifest's labels, with image
augmentation, on the training photos of photos.npz (clothing-photos train, the H&M catalog, the ikea training
products less the furniture val), prints its top-1 on the two validation sets (clothing-photos val with the crop
view averaged in, the furniture val) and, with --write, writes the trained tensors for the converter.

  /usr/bin/python3 finetune.py --photos P.npz --gguf G.gguf --member s --first 6 --write DIR   # features.6–12
  /usr/bin/python3 finetune.py --photos P.npz --member l --first 9                           # expanded_conv_9–14

`npm run train:backbone` (scripts/train/train-backbone.ts) runs it for MobileNetV3-S. It starts from the weights the app
ships (the qvac GGUF, the converted CenterNet graph); BatchNorm statistics stay frozen, so the converter folds them
as before. Each member's input normalisation and feature node, and the crop view's box, are the manifest's. Seeded:
the same machine writes the same tensors."""
import argparse, hashlib, json, os, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from members import MANIFEST, Member

ap = argparse.ArgumentParser()
ap.add_argument('--photos', required=True, help='photos.npz from prepare.py')
ap.add_argument('--gguf', help='the qvac GGUF (MobileNetV3-S)')
ap.add_argument('--member', choices=['s', 'l'], required=True)
ap.add_argument('--first', type=int, required=True, help='first trained block (S: features.N, L: expanded_conv_N)')
ap.add_argument('--epochs', type=int, default=6)
ap.add_argument('--ikea-weight', type=int, default=2, help='times each ikea training product is seen per epoch')
ap.add_argument('--frozen', action='store_true', help='train only the softmax layer (the same recipe on frozen features)')
ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--write', help='directory for the trained tensors (tensors.json + tensors.bin, float16; S only)')
args = ap.parse_args()
if args.write and (args.member != 's' or args.frozen): ap.error('--write takes the fine-tuned MobileNetV3-S (--member s, not --frozen)')
torch.set_num_threads(2); torch.manual_seed(args.seed); rng = np.random.default_rng(args.seed)
torch.use_deterministic_algorithms(True, warn_only=True)

data = np.load(args.photos)
X = torch.from_numpy(data['X']); y = torch.from_numpy(data['y']); sets = data['s']

member = Member(args.member, args.first, gguf=args.gguf)
trainable, feature_map, normalise = member.trainable, member.feature_map, member.normalise
if args.frozen:
    for p in trainable: p.requires_grad = False

head = nn.Linear(member.entry['featureDim'], len(MANIFEST['labels'])); dropout = nn.Dropout(0.2)
def pooled(x): return F.adaptive_avg_pool2d(feature_map(x), 1).flatten(1)

def augment(batch, catalog):
    """Random crop (35–100% of the photo, 60–100% for catalog shots), aspect 3:4–4:3, mirror, brightness/contrast."""
    out = torch.empty(len(batch), 3, 224, 224)
    for i in range(len(batch)):
        area = rng.uniform(0.6 if catalog[i] else 0.35, 1); aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        w = int(min(256, round(256 * np.sqrt(area * aspect)))); h = int(min(256, round(256 * np.sqrt(area / aspect))))
        x0, y0 = rng.integers(0, 257 - w), rng.integers(0, 257 - h)
        img = F.interpolate(batch[i:i + 1, y0:y0 + h, x0:x0 + w].permute(0, 3, 1, 2).float(), size=(224, 224), mode='bilinear', align_corners=False, antialias=True)
        if rng.random() < 0.5: img = img.flip(3)
        out[i] = (img[0] * rng.uniform(0.8, 1.2) + rng.uniform(-20, 20)).clamp(0, 255)
    return normalise(out)

def view(batch, box=None):
    """[n, 256, 256, 3] → the whole photo, or the relative box [x1, y1, x2, y2], at 224×224, normalised."""
    batch = batch.permute(0, 3, 1, 2).float()
    if box:
        x1, y1, x2, y2 = (round(v * 256) for v in box)
        batch = batch[:, :, y1:y2, x1:x2]
    return normalise(F.interpolate(batch, size=(224, 224), mode='bilinear', align_corners=False, antialias=True))

def probabilities(index, box=None):
    head.eval()
    with torch.no_grad():
        return torch.cat([F.softmax(head(pooled(view(X[index[i:i + 128]], box))), 1) for i in range(0, len(index), 128)])

train = np.concatenate([np.where(np.isin(sets, ['ctrain', 'hm', 'itrain']))[0]] + [np.where(sets == 'itrain')[0]] * (args.ikea_weight - 1))
cval, ival = np.where(sets == 'cval')[0], np.where(sets == 'ival')[0]
catalog = torch.from_numpy(np.isin(sets, ['hm', 'itrain']))
groups = [{'params': head.parameters(), 'lr': 1e-3}] + ([] if args.frozen else [{'params': trainable, 'lr': 2e-4}])
optimiser = torch.optim.AdamW(groups, weight_decay=1e-4)
steps = args.epochs * (len(train) // 64)
schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[g['lr'] for g in groups], total_steps=steps, pct_start=0.1)
started = time.time()
print(f'training {member.entry["id"]} from block {args.first} on {len(train)} photos a epoch ({args.epochs} epochs)', flush=True)
for epoch in range(args.epochs):
    order = rng.permutation(train); head.train()
    for i in range(0, len(order) - 63, 64):
        b = order[i:i + 64]
        loss = F.cross_entropy(head(dropout(pooled(augment(X[b], catalog[b])))), y[b], label_smoothing=0.1)
        optimiser.zero_grad(); loss.backward(); optimiser.step(); schedule.step()
    print(f'epoch {epoch + 1}/{args.epochs} loss {loss.item():.3f} ({time.time() - started:.0f} s)', flush=True)

top1 = lambda p, t: (p.argmax(1) == t).float().mean().item()
clothing = (probabilities(cval) + probabilities(cval, MANIFEST['cropView']['box'])) / 2
print(f'validation top-1 (its own softmax layer): clothing-photos val {top1(clothing, y[cval]):.3f} (with the crop view), furniture val {top1(probabilities(ival), y[ival]):.3f}')

if args.write:
    # torchvision names (features.N.…) of the trained parameters; BatchNorm statistics are the GGUF's.
    named = [(f'features.{k}', p) for k, p in member.tuned.named_parameters()]  # a slice of features keeps its indices
    blob, tensors = bytearray(), []
    for name, p in named:
        tensors.append({'name': name, 'shape': list(p.shape), 'offset': len(blob)})
        blob += p.detach().numpy().astype('<f2').tobytes()
    recipe = (f'features.{args.first}–12 fine-tuned by Lookalike (scripts/train/train-backbone, PyTorch, {args.epochs} epochs, seed {args.seed}) '
              f'on clothing-photos train, the H&M catalog and the ikea training products less the furniture val')
    os.makedirs(args.write, exist_ok=True)
    open(os.path.join(args.write, 'tensors.bin'), 'wb').write(blob)
    json.dump({'format': 'lookalike-tuned-tensors/1', 'recipe': recipe, 'sha256': hashlib.sha256(blob).hexdigest(), 'tensors': tensors},
              open(os.path.join(args.write, 'tensors.json'), 'w'), indent=1)
    print(f'wrote {len(tensors)} tensors ({len(blob)} bytes) to {args.write}')
