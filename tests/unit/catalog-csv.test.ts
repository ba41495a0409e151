import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv, parseCsvRows, parseCsvTable } from '../../src/shared/csv.ts';

const IKEA = resolve(import.meta.dirname, '../../../shared/datasets/ikea/products.csv');

describe('csv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const text = 'path,name,color\r\na.jpg,"Sofa, 3-seat","Softwood,white"\r\nb.jpg,"The ""big"" one","two\nlines"\r\n';
    expect(parseCsv(text)).toEqual([
      { path: 'a.jpg', name: 'Sofa, 3-seat', color: 'Softwood,white' },
      { path: 'b.jpg', name: 'The "big" one', color: 'two\nlines' },
    ]);
  });

  it('drops a BOM, skips blank lines, keeps empty fields, reads a last line without newline', () => {
    const { rows, lines } = parseCsvRows('\ufeffa,b\n\n1,\n,2');
    expect(rows).toEqual([
      ['a', 'b'],
      ['1', ''],
      ['', '2'],
    ]);
    expect(lines).toEqual([1, 3, 4]);
    expect(parseCsv('a\n""\n')).toEqual([{ a: '' }]);
  });

  it('names the file and line of a problem', () => {
    expect(() => parseCsvTable('a,b\n1,2\n3\n', 'items.csv')).toThrow(/items\.csv, line 3: 1 fields where the header has 2/);
    expect(() => parseCsvRows('a\n"open\n', 'x.csv')).toThrow(CsvError);
    expect(() => parseCsvRows('a\n"open\n', 'x.csv')).toThrow(/x\.csv, line 2: a quoted field is never closed/);
    expect(() => parseCsvRows('a\nab"c\n', 'y.csv')).toThrow(/y\.csv, line 2/);
    expect(() => parseCsvTable('a,a\n', 'z.csv')).toThrow(/column "a" appears twice/);
    expect(() => parseCsvTable('', 'e.csv')).toThrow(/e\.csv is empty/);
  });

  it.skipIf(!existsSync(IKEA))('reads ikea/products.csv (colours with commas) [needs ../shared/datasets]', () => {
    const rows = parseCsv(readFileSync(IKEA, 'utf8'), IKEA);
    expect(rows.length).toBe(2187);
    expect(rows[0]).toMatchObject({ path: 'products/500.210.76.jpg', item_id: '500.210.76', color: 'Softwood,white' });
  });
});
