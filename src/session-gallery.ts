/** The photos dropped in this session, searchable by embedding (before a catalog is loaded). */
import { dot } from './shared/vector.ts';

export interface SessionPhoto {
  id: string;
  name: string;
  url: string;
  embedding: Float32Array;
}

export interface Neighbour {
  photo: SessionPhoto;
  score: number;
}

/** Cosine (embeddings are L2-normalised) to every earlier photo, best first. */
export function nearestPhotos(query: Float32Array, photos: SessionPhoto[], k: number, excludeId?: string): Neighbour[] {
  return photos
    .filter((p) => p.id !== excludeId && p.embedding.length === query.length)
    .map((photo) => ({ photo, score: dot(query, photo.embedding) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
