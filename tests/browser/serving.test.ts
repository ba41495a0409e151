/** How `npm start` serves the app (the preview server): text compressed, as a static host should. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from './harness.ts';

describe('the preview server', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app?.close());

  it('sends JSON (model manifests, catalog item lists) and scripts gzipped to browsers that accept it', async () => {
    const page = await (await fetch(app.url)).text();
    const script = /<script type="module"[^>]* src="\.?\/?([^"]+\.js)"/.exec(page)?.[1];
    expect(script, 'index.html names its script').toBeDefined();
    for (const path of ['models/manifest.json', script!]) {
      const res = await fetch(new URL(path, app.url), { headers: { 'Accept-Encoding': 'gzip' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-encoding'), path).toBe('gzip');
      expect((await res.text()).length).toBeGreaterThan(100);
    }
  });
});
