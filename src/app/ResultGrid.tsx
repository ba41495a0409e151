export interface ResultCard {
  id: string;
  title: string;
  imageUrl: string;
  score: number;
  subtitle?: string;
}

export function ResultGrid({ heading, results, empty }: { heading: string; results: ResultCard[]; empty: string }) {
  return (
    <section class="results" aria-label={heading}>
      <h2>{heading}</h2>
      {results.length === 0 ? (
        <p class="empty">{empty}</p>
      ) : (
        <ul class="grid">
          {results.map((r) => (
            <li class="card" data-testid="result" data-item-id={r.id} data-score={r.score.toFixed(4)} key={r.id}>
              <img src={r.imageUrl} alt={r.title} loading="lazy" />
              <div class="card-body">
                <span class="card-title">{r.title}</span>
                {r.subtitle && <span class="card-subtitle">{r.subtitle}</span>}
                <span class="score">similarity {r.score.toFixed(2)}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
