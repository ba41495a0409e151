"""Fine-tunes one ensemble member's last blocks together with a softmax layer, with image augmentation, on the
training photos of photos.npz (clothing-photos train, H&M catalog, ikea training products), and writes its
probabilities on clothing-photos val (whole photo and centre 80%) and on the held-out ikea products.

  /usr/bin/python3 finetune.py --member s --first 6      # MobileNetV3-S, features.6–12 trained
  /usr/bin/python3 finetune.py --member l --first 9      # MobileNetV3-L 0.75, expanded_conv_9–14 trained

A measurement, not a trainer of shipped weights: it starts from the same weights the app ships (the qvac GGUF,
the converted CenterNet graph) and reports what fine-tuning would give. BatchNorm statistics stay frozen. Each
member's input normalisation and feature node, and the crop view's box, are the manifest's."""
import argparse, os, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from members import MANIFEST, REPO, Member

OUT = os.path.join(REPO, '.cache/finetune-probe')

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
X = torch.from_numpy(data['X']); y = torch.from_numpy(data['y']); sets = data['s']

member = Member(args.member, args.first)
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

whole, crop, ikea = probabilities(cval), probabilities(cval, MANIFEST['cropView']['box']), probabilities(itest)
top1 = lambda p, t: (p.argmax(1) == t).float().mean().item()
top3 = lambda p, t: (p.topk(3, 1).indices == t[:, None]).any(1).float().mean().item()
both = (whole + crop) / 2
print(f'clothing val whole {top1(whole, y[cval]):.3f}/{top3(whole, y[cval]):.3f}, whole+crop {top1(both, y[cval]):.3f}/{top3(both, y[cval]):.3f}; ikea held-out {top1(ikea, y[itest]):.3f}')
name = f'{args.member}-first{args.first}-ikea{args.ikea_weight}-seed{args.seed}{"-frozen" if args.frozen else ""}'
np.savez(os.path.join(OUT, f'probs-{name}.npz'), clothing_whole=whole.numpy(), clothing_crop=crop.numpy(), ikea=ikea.numpy(),
         clothing_truth=y[cval].numpy(), ikea_truth=y[itest].numpy())
print('wrote', os.path.join(OUT, f'probs-{name}.npz'))
