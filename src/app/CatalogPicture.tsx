import { useState } from 'preact/hooks';

/**
 * A product's or scene's picture from the catalog. When the browser cannot show it (offline and never seen
 * online, so not stored; or missing on the server) a placeholder says so instead of a broken image.
 */
export function CatalogPicture({ src, alt = '', lazy = false, class: className }: { src: string | undefined; alt?: string; lazy?: boolean; class?: string }) {
  const [failed, setFailed] = useState<string>();
  if (!src) return <span class={className ? `noimage ${className}` : 'noimage'} aria-hidden="true" />;
  if (failed === src) {
    const words = navigator.onLine ? 'No picture' : 'No picture offline';
    return (
      <span
        class={className ? `noimage ${className}` : 'noimage'}
        data-testid="no-picture"
        {...(alt ? { role: 'img', 'aria-label': `${alt} (${words.toLowerCase()})` } : { 'aria-hidden': 'true' })}
      >
        {words}
      </span>
    );
  }
  return <img class={className} src={src} alt={alt} {...(lazy ? { loading: 'lazy' as const } : {})} onError={() => setFailed(src)} />;
}
