import { useState } from 'preact/hooks';
import type { DetectedObject } from '../shared/worker-api/index.ts';
import { CropBox } from './CropBox.tsx';
import { describeBox, type Box } from './crop-geometry.ts';
import { Working } from './Working.tsx';

export type { Box };

const DEFAULT_AREA: Box = [0.15, 0.15, 0.85, 0.85];

/**
 * The photo with the detector's boxes; tapping one searches just that object.
 * "Choose an area" shows an adjustable search area (CropBox) instead, searched
 * with "Search this area"; "Whole photo" goes back to the whole photo.
 */
export function ObjectPicker({
  url,
  name,
  objects,
  selected,
  detecting,
  busy,
  onSelect,
  onSearchArea,
}: {
  url: string;
  name: string;
  objects: DetectedObject[];
  selected: Box | undefined;
  detecting: boolean;
  /** A search of this photo is running: the photo shows it. */
  busy: boolean;
  onSelect: (box: Box | undefined) => void;
  onSearchArea: (box: Box) => void;
}) {
  const [area, setArea] = useState<Box>();
  const cropping = area !== undefined;
  const searchArea = () => {
    onSearchArea(area!);
    setArea(undefined);
  };
  return (
    <section class="object-picker" aria-label="Your photo">
      <div class={cropping ? 'photo-frame cropping' : 'photo-frame'}>
        <img src={url} alt={`Your photo: ${name}`} draggable={false} />
        {!cropping &&
          objects.map((o, i) => (
            <button
              type="button"
              key={i}
              class={selected === o.box ? 'box selected' : 'box'}
              style={{
                left: `${o.box[0] * 100}%`,
                top: `${o.box[1] * 100}%`,
                width: `${(o.box[2] - o.box[0]) * 100}%`,
                height: `${(o.box[3] - o.box[1]) * 100}%`,
              }}
              aria-label={`Search only the ${o.label}`}
              tabIndex={-1}
              onClick={() => onSelect(o.box)}
            />
          ))}
        {!cropping && selected && !objects.some((o) => o.box === selected) && (
          <div
            class="box selected area"
            style={{
              left: `${selected[0] * 100}%`,
              top: `${selected[1] * 100}%`,
              width: `${(selected[2] - selected[0]) * 100}%`,
              height: `${(selected[3] - selected[1]) * 100}%`,
            }}
            aria-hidden="true"
          />
        )}
        {cropping && <CropBox box={area} onChange={setArea} onSubmit={searchArea} />}
        {busy && !cropping && <Working what="Finding similar products…" />}
      </div>
      {cropping ? (
        <div class="crop-controls">
          <p id="crop-help" class="hint">
            Drag on the photo to draw the area, drag it to move, drag a corner to resize.
            <span class="keyboard-hint"> With the keyboard: arrows move it, Shift+arrows resize it, Enter searches.</span>
          </p>
          <p class="crop-coords" aria-live="polite" data-testid="crop-coords">
            Area: {describeBox(area)}
          </p>
          <div class="row">
            <button type="button" class="button primary" data-testid="crop-search" onClick={searchArea}>
              Search this area
            </button>
            <button type="button" class="button" onClick={() => setArea(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        // biome-ignore lint/a11y/useSemanticElements: a row of toggle chips, not a form's fieldset
        <div class="object-chips" role="group" aria-label="Objects in your photo">
          <button type="button" class={selected ? 'chip' : 'chip selected'} aria-pressed={!selected} onClick={() => onSelect(undefined)}>
            Whole photo
          </button>
          {objects.map((o, i) => (
            <button
              type="button"
              key={i}
              class={selected === o.box ? 'chip selected' : 'chip'}
              aria-pressed={selected === o.box}
              data-testid="detected-object"
              data-label={o.label}
              onClick={() => onSelect(o.box)}
            >
              {o.label} <span class="chip-score">{Math.round(o.score * 100)}%</span>
            </button>
          ))}
          {detecting && (
            <span class="hint" data-testid="detecting">
              Looking for separate objects in your photo…
            </span>
          )}
          <button type="button" class="chip crop-start" data-testid="crop-start" onClick={() => setArea(selected ?? DEFAULT_AREA)}>
            Choose an area…
          </button>
        </div>
      )}
    </section>
  );
}
