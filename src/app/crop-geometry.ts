/** Crop-box arithmetic on normalised boxes [x1, y1, x2, y2] (0–1 of the photo's width and height). */
export type Box = [number, number, number, number];

/** Smallest crop side (4% of the photo): smaller areas hold too few pixels to search. */
export const MIN_SIDE = 0.04;
/** One arrow-key press moves or resizes by this much (2% of the photo). */
export const KEY_STEP = 0.02;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round = (v: number) => Math.round(v * 10000) / 10000;

export function normalise(box: Box): Box {
  return box.map(round) as Box;
}

/** The box moved by (dx, dy), kept whole inside the photo. */
export function moveBox([x1, y1, x2, y2]: Box, dx: number, dy: number): Box {
  const w = x2 - x1;
  const h = y2 - y1;
  const nx = clamp(x1 + dx, 0, 1 - w);
  const ny = clamp(y1 + dy, 0, 1 - h);
  return normalise([nx, ny, nx + w, ny + h]);
}

/** The box with its right/bottom edge moved by (dw, dh), at least MIN_SIDE and inside the photo. */
export function resizeBox([x1, y1, x2, y2]: Box, dw: number, dh: number): Box {
  return normalise([x1, y1, clamp(x2 + dw, x1 + MIN_SIDE, 1), clamp(y2 + dh, y1 + MIN_SIDE, 1)]);
}

/** The box spanned by two points (either order), at least MIN_SIDE and inside the photo. */
export function boxFromPoints(ax: number, ay: number, bx: number, by: number): Box {
  let x1 = clamp(Math.min(ax, bx), 0, 1);
  let y1 = clamp(Math.min(ay, by), 0, 1);
  let x2 = clamp(Math.max(ax, bx), 0, 1);
  let y2 = clamp(Math.max(ay, by), 0, 1);
  if (x2 - x1 < MIN_SIDE) (x2 = Math.min(1, x1 + MIN_SIDE)), (x1 = x2 - MIN_SIDE);
  if (y2 - y1 < MIN_SIDE) (y2 = Math.min(1, y1 + MIN_SIDE)), (y1 = y2 - MIN_SIDE);
  return normalise([x1, y1, x2, y2]);
}

/** "left 10%, top 20%, 50% wide, 40% high" */
export function describeBox([x1, y1, x2, y2]: Box): string {
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  return `left ${pct(x1)}, top ${pct(y1)}, ${pct(x2 - x1)} wide, ${pct(y2 - y1)} high`;
}
