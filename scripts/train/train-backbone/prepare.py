"""Decodes every photo of the listing that scripts/train/train-backbone.ts writes (path, label index, set) once, squashed
to 256×256 RGB (the app squashes the whole photo to the input size too), into an .npz of X (photos), y (label
indices) and s (sets: ctrain / cval clothing-photos by split, hm the H&M catalog, itrain / ival / itest the ikea
training products, the furniture val and the held-out products).

  /usr/bin/python3 prepare.py <listing.csv> <photos.npz>"""
import csv, sys, numpy as np
from concurrent.futures import ProcessPoolExecutor
from PIL import Image


def decode(path):
    return np.asarray(Image.open(path).convert('RGB').resize((256, 256), Image.BILINEAR, reducing_gap=2.0))


if __name__ == '__main__':
    listing, out = sys.argv[1:3]
    items = list(csv.DictReader(open(listing)))
    with ProcessPoolExecutor(2) as pool:
        photos = np.stack(list(pool.map(decode, [i['path'] for i in items], chunksize=32)))
    sets = np.array([i['set'] for i in items])
    np.savez(out, X=photos, y=np.array([int(i['label']) for i in items]), s=sets)
    print(f'{out}: {photos.shape[0]} photos,', ', '.join(f'{k} {int((sets == k).sum())}' for k in dict.fromkeys(sets)))
