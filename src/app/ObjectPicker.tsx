import type { DetectedObject } from '../../workers/models/detector.ts';

export type Box = [number, number, number, number];

/** The photo with the detector's boxes; tapping one searches just that object. */
export function ObjectPicker({ url, name, objects, selected, detecting, onSelect }: { url: string; name: string; objects: DetectedObject[]; selected: Box | undefined; detecting: boolean; onSelect: (box: Box | undefined) => void }) {
  return (
    <section class="object-picker" aria-label="Your photo">
      <div class="photo-frame">
        <img src={url} alt={`Your photo: ${name}`} />
        {objects.map((o, i) => (
          <button
            key={i}
            class={selected === o.box ? 'box selected' : 'box'}
            style={{ left: `${o.box[0] * 100}%`, top: `${o.box[1] * 100}%`, width: `${(o.box[2] - o.box[0]) * 100}%`, height: `${(o.box[3] - o.box[1]) * 100}%` }}
            aria-label={`Search only the ${o.label}`}
            tabIndex={-1}
            onClick={() => onSelect(o.box)}
          />
        ))}
      </div>
      <div class="object-chips" role="group" aria-label="Objects in your photo">
        <button class={selected ? 'chip' : 'chip selected'} aria-pressed={!selected} onClick={() => onSelect(undefined)}>
          Whole photo
        </button>
        {objects.map((o, i) => (
          <button key={i} class={selected === o.box ? 'chip selected' : 'chip'} aria-pressed={selected === o.box} data-testid="detected-object" data-label={o.label} onClick={() => onSelect(o.box)}>
            {o.label} <span class="chip-score">{Math.round(o.score * 100)}%</span>
          </button>
        ))}
        {detecting && <span class="hint">Finding objects…</span>}
      </div>
    </section>
  );
}
