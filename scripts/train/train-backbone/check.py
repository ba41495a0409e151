"""Checks that members.py runs the app's networks: each member's pooled features on the photos of the reference
file (written by scripts/train/train-backbone.ts with the app's own code and shipped files) must point the same way:
cosine ≥ 0.9999 (MobileNetV3-S reads float16 tensors with BatchNorm unfolded, the app a folded copy rounded to
float16 again, so it does not match bit for bit; MobileNetV3-L runs the very same weights). Exits 1 if not.

  /usr/bin/python3 check.py <reference.json> <qvac.gguf> [fine-tuned tensors dir]"""
import json, sys, numpy as np, torch
from members import IDS, Member

reference_path, gguf = sys.argv[1:3]
tuned = sys.argv[3] if len(sys.argv) > 3 else None
reference = json.load(open(reference_path))
photos = torch.tensor(reference['photos']).permute(0, 3, 1, 2)  # [n, 3, 224, 224] RGB 0–255
lowest = 1.0
for member, member_id in IDS.items():
    m = Member(member, first=99, gguf=gguf, tuned=tuned if member == 's' else None)
    with torch.no_grad(): ours = m.feature_map(m.normalise(photos)).mean((2, 3)).numpy()
    theirs = np.array(reference[member_id])
    cosine = float(min((a @ b) / np.linalg.norm(a) / np.linalg.norm(b) for a, b in zip(ours, theirs)))
    error = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
    print(f'{member_id}: cosine {cosine:.6f}, largest difference {error:.1e} of the largest feature')
    lowest = min(lowest, cosine)
sys.exit(0 if lowest >= 0.9999 else 1)
