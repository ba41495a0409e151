import { useState } from 'preact/hooks';
import { prettyLabel, shortModelName, topLabels, viewsNote } from './vote-words.ts';

export interface CategoryVotesProps {
  labels: string[];
  probabilities: Float32Array;
  members: { id: string; name: string; probabilities: Float32Array }[];
  /** The votes average the whole photo and its centre (the models' crop view). */
  cropView?: boolean;
  /** The votes average each view and its mirror image (the models' mirror view). */
  mirrorView?: boolean;
}

/** The soft vote's top 3 (those above 0%); tapping one shows how each ensemble member voted. */
export function CategoryVotes({ labels, probabilities, members, cropView = false, mirrorView = false }: CategoryVotesProps) {
  const [open, setOpen] = useState<string>();
  const note = viewsNote(cropView, mirrorView);
  // Categories that would read "0%" are not worth a line.
  const top = topLabels(labels, probabilities, 3, 0.005);
  return (
    <section class="votes" aria-label="Predicted category">
      <h2>Looks like</h2>
      <ul class="vote-list">
        {top.map((v) => (
          <li key={v.label}>
            <button
              type="button"
              class="vote"
              data-testid="category"
              data-label={v.label}
              data-prob={v.prob.toFixed(4)}
              aria-expanded={open === v.label}
              onClick={() => setOpen(open === v.label ? undefined : v.label)}
            >
              <span>{prettyLabel(v.label)}</span>
              <span class="vote-bar" style={{ width: `${Math.round(v.prob * 100)}%` }} />
              <span class="vote-prob">{Math.round(v.prob * 100)}%</span>
            </button>
            {open === v.label && (
              <ul class="member-votes">
                {members.map((m) => (
                  <li
                    key={m.id}
                    data-testid="member-vote"
                    data-model={m.id}
                    data-prob={(m.probabilities[labels.indexOf(v.label)] ?? 0).toFixed(4)}
                    title={m.name}
                  >
                    {shortModelName(m.name)}: {Math.round((m.probabilities[labels.indexOf(v.label)] ?? 0) * 100)}%
                  </li>
                ))}
                {note && <li class="vote-note">{note}</li>}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
