"""Decodes every labelled photo of ../shared/datasets once, squashed to 256×256 RGB (the app squashes the whole
photo to the input size too), into .cache/finetune-probe/photos.npz with its label index and set:
ctrain / cval (clothing-photos by split), hm (H&M catalog), itrain / itest (ikea products of the manifest's labels;
itest = the products listed in model-artifacts/ikea-heldout.csv, the held-out 20%). Label indices follow the
manifest's `labels`."""
import csv, json, os, numpy as np
from concurrent.futures import ProcessPoolExecutor
from PIL import Image

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
DATA = os.path.join(REPO, '../shared/datasets')
OUT = os.path.join(REPO, '.cache/finetune-probe')
LABELS = json.load(open(os.path.join(REPO, 'model-artifacts/manifest.json')))['labels']


def rows(name):
    return list(csv.DictReader(open(os.path.join(DATA, name))))


def listing():
    items = []
    for r in rows('clothing-photos/labels.csv'):
        items.append((f'{DATA}/clothing-photos/{r["path"]}', LABELS.index(r['category']), 'cval' if r['split'] == 'val' else 'ctrain'))
    for r in rows('hm-catalog/items.csv'):
        items.append((f'{DATA}/hm-catalog/{r["path"]}', LABELS.index(r['category']), 'hm'))
    held = {r['path'] for r in csv.DictReader(open(os.path.join(REPO, 'model-artifacts/ikea-heldout.csv')))}
    for r in rows('ikea/products.csv'):
        if r['category'] in LABELS:
            items.append((f'{DATA}/ikea/{r["path"]}', LABELS.index(r['category']), 'itest' if r['path'] in held else 'itrain'))
    return items


def decode(path):
    return np.asarray(Image.open(path).convert('RGB').resize((256, 256), Image.BILINEAR, reducing_gap=2.0))


if __name__ == '__main__':
    if not os.path.exists(os.path.join(DATA, 'clothing-photos/labels.csv')):
        raise SystemExit(f'no datasets at {DATA}: this probe needs ../shared/datasets beside the repository')
    items = listing()
    with ProcessPoolExecutor(2) as pool:
        photos = np.stack(list(pool.map(decode, [i[0] for i in items], chunksize=32)))
    os.makedirs(OUT, exist_ok=True)
    np.savez(os.path.join(OUT, 'photos.npz'), X=photos, y=np.array([i[1] for i in items]), s=np.array([i[2] for i in items]))
    print(photos.shape, {k: sum(1 for i in items if i[2] == k) for k in ['ctrain', 'cval', 'hm', 'itrain', 'itest']})
