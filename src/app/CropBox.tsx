/**
 * An adjustable search area over the photo. Pointer: drag on the photo to
 * draw a new area, drag the area to move it, drag a corner to resize it.
 * Keyboard: the area is focusable; arrows move it, Shift+arrows resize it,
 * Enter searches it. Coordinates are normalised [x1, y1, x2, y2].
 */
import { useRef } from 'preact/hooks';
import { boxFromPoints, describeBox, KEY_STEP, moveBox, resizeBox, type Box } from './crop-geometry.ts';
import { useFocusWhenShown } from './use-focus-when-shown.ts';

type Corner = 'nw' | 'ne' | 'sw' | 'se';
type Drag = { kind: 'draw'; ax: number; ay: number } | { kind: 'move'; ox: number; oy: number; start: Box } | { kind: 'resize'; ax: number; ay: number };

const CORNERS: Corner[] = ['nw', 'ne', 'sw', 'se'];

export function CropBox({ box, onChange, onSubmit }: { box: Box; onChange: (box: Box) => void; onSubmit: () => void }) {
  const layer = useRef<HTMLDivElement>(null);
  const drag = useRef<Drag>();
  const [x1, y1, x2, y2] = box;
  // Keyboard users land on the area as soon as it appears.
  useFocusWhenShown(() => layer.current?.querySelector<HTMLElement>('.crop-box'));

  const point = (e: PointerEvent) => {
    const r = layer.current!.getBoundingClientRect();
    return { x: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), y: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)) };
  };

  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const p = point(e);
    const target = e.target as HTMLElement;
    const corner = target.dataset.corner as Corner | undefined;
    if (corner) {
      // Resizing a corner = drawing from the opposite corner.
      drag.current = { kind: 'resize', ax: corner.includes('w') ? x2 : x1, ay: corner.includes('n') ? y2 : y1 };
    } else if (target.closest('.crop-box')) {
      drag.current = { kind: 'move', ox: p.x, oy: p.y, start: box };
    } else {
      drag.current = { kind: 'draw', ax: p.x, ay: p.y };
    }
    layer.current!.setPointerCapture(e.pointerId);
    e.preventDefault();
  };

  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const p = point(e);
    if (d.kind === 'move') onChange(moveBox(d.start, p.x - d.ox, p.y - d.oy));
    else onChange(boxFromPoints(d.ax, d.ay, p.x, p.y));
  };

  const onPointerUp = (e: PointerEvent) => {
    if (!drag.current) return;
    drag.current = undefined;
    layer.current!.releasePointerCapture(e.pointerId);
    layer.current!.querySelector<HTMLElement>('.crop-box')?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const step: Record<string, [number, number]> = { ArrowLeft: [-KEY_STEP, 0], ArrowRight: [KEY_STEP, 0], ArrowUp: [0, -KEY_STEP], ArrowDown: [0, KEY_STEP] };
    const d = step[e.key];
    if (d) {
      e.preventDefault();
      onChange(e.shiftKey ? resizeBox(box, d[0], d[1]) : moveBox(box, d[0], d[1]));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      onSubmit();
    }
  };

  const where = describeBox(box);
  return (
    <div ref={layer} class="crop-layer" onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={onPointerUp} onPointerCancel={onPointerUp}>
      {/* biome-ignore lint/a11y/useSemanticElements: a keyboard-operable search area (arrows move it, Enter searches); no native element is one */}
      <div
        class="crop-box"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the area is operated with the keyboard (see onKeyDown)
        tabIndex={0}
        role="group"
        aria-roledescription="search area"
        aria-label={`Search area: ${where}`}
        aria-describedby="crop-help"
        data-testid="crop-box"
        data-box={box.join(',')}
        style={{ left: `${x1 * 100}%`, top: `${y1 * 100}%`, width: `${(x2 - x1) * 100}%`, height: `${(y2 - y1) * 100}%` }}
        onKeyDown={onKeyDown}
      >
        {CORNERS.map((c) => (
          <span key={c} class={`crop-handle ${c}`} data-corner={c} aria-hidden="true" />
        ))}
      </div>
    </div>
  );
}
