import type { RefObject } from 'preact';
import { useEffect } from 'preact/hooks';

/**
 * Brings a block of new answers into view by itself: each time `answer` changes (a new search answered), when
 * the block's first item is not wholly on screen, the block scrolls to the top of the screen (smoothly, unless
 * the shopper prefers reduced motion). When the answers are already in view nothing moves.
 */
export function useRevealOnAnswer(block: RefObject<HTMLElement>, firstItem: string, answer: number): void {
  useEffect(() => {
    const element = block.current;
    if (!answer || !element) return;
    const first = element.querySelector(firstItem) ?? element;
    const { top, bottom } = first.getBoundingClientRect();
    if (top >= 0 && bottom <= innerHeight) return;
    const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
    element.scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' });
  }, [answer]);
}
