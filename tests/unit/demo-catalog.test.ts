/**
 * The demo catalog's inputs give every product a plausible price and a link to the app's own demo product page,
 * and the worker turns that relative link into the page's address on whatever host serves the demo catalog.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { entriesFromCsv } from '../../scripts/lib/catalog-indexer.ts';
import { demoPrice, demoProductUrl, writeDemoInputs } from '../../scripts/lib/demo-catalog-inputs.ts';
import { itemView, type OpenCatalog } from '../../workers/catalog-session.ts';

const work = mkdtempSync(join(tmpdir(), 'demo-inputs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the demo catalog has prices and product links', () => {
  it('prices each item in its category’s range, the same every time, as a shop would (…​.99 / ….95)', () => {
    const sofa = demoPrice('s1', 'sofa');
    expect(sofa).toBe(demoPrice('s1', 'sofa'));
    expect(sofa).toBeGreaterThanOrEqual(299);
    expect(sofa).toBeLessThan(1300);
    expect(demoPrice('t1', 'tshirt')).toBeLessThan(26);
    expect(demoPrice('x', 'constructor')).toBeLessThan(100); // an unknown category (even a prototype key) gets the general range
    expect([0.99, 0.95]).toContain(Math.round((sofa % 1) * 100) / 100);
  });

  it('writes the datasets’ item lists with price and url columns the indexer reads', () => {
    const datasets = join(work, 'datasets');
    mkdirSync(join(datasets, 'ikea'), { recursive: true });
    mkdirSync(join(datasets, 'hm-catalog'), { recursive: true });
    writeFileSync(
      join(datasets, 'ikea/products.csv'),
      'path,item_id,name,type,category,color\r\nproducts/1.jpg,500.210.76,MÅLA,Easel,other,"Softwood,white"\r\n',
    );
    writeFileSync(
      join(datasets, 'hm-catalog/items.csv'),
      'path,item_id,product_code,name,type,category,color\nimages/2.jpg,0145872052,145872,"Dorian l/s ""basic""",Sweater,longsleeve,Dark Blue\n',
    );
    const [ikea, hm] = writeDemoInputs(datasets, join(work, 'out'));
    const easel = entriesFromCsv(ikea!, 'ikea').entries[0]!;
    expect(easel.file).toBe(join(datasets, 'ikea/products/1.jpg'));
    expect(easel.item).toMatchObject({ id: '500.210.76', title: 'MÅLA', category: 'other', price: demoPrice('500.210.76', 'other') });
    expect(easel.item.attributes).toMatchObject({ color: 'Softwood,white' });
    const sweater = entriesFromCsv(hm!, 'hm').entries[0]!;
    expect(sweater.item.title).toBe('Dorian l/s "basic"');
    expect(sweater.item.url).toBe(demoProductUrl({ id: '0145872052', title: 'Dorian l/s "basic"', price: demoPrice('0145872052', 'longsleeve') }));
    expect(readFileSync(hm!, 'utf8').split('\n')[0]).toBe('path,item_id,product_code,name,type,category,color,price,url');
  });

  it('links to the app’s demo product page wherever the demo catalog is served; other schemes are dropped', () => {
    const open = {
      info: { url: 'http://127.0.0.1:4173/catalog/demo/catalog.json' },
      resolve: (p?: string) => p && new URL(p, 'http://127.0.0.1:4173/catalog/demo/').href,
    } as unknown as OpenCatalog;
    const url = demoProductUrl({ id: 'a b', title: 'Sofa & co', price: 299.99 });
    const view = itemView(open, { id: 'a b', title: 'Sofa & co', url });
    const link = new URL(view.url!);
    expect(link.origin + link.pathname).toBe('http://127.0.0.1:4173/demo/product.html');
    expect(Object.fromEntries(link.searchParams)).toEqual({ id: 'a b', title: 'Sofa & co', price: '299.99' });
    expect(itemView(open, { id: 'x', title: 'x', url: 'javascript:alert(1)' }).url).toBeUndefined();
    expect(itemView(open, { id: 'x', title: 'x', url: 'https://shop.example/p/1' }).url).toBe('https://shop.example/p/1');
  });
});
