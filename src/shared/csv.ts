/**
 * A small RFC 4180 CSV reader (realm-neutral): comma-separated, fields may be
 * double-quoted, with `""` for a quote and commas or line breaks inside quotes
 * (ikea's colours are `"Softwood,white"`). CRLF or LF line ends, a UTF-8 BOM
 * is dropped, blank lines are skipped. Errors name the file and line.
 */
import { LookalikeError } from './errors.ts';

export class CsvError extends LookalikeError {
  override name = 'CsvError';
}

export interface CsvTable {
  /** Column names from the first row, trimmed. */
  header: string[];
  /** Data rows, each with as many fields as the header. */
  rows: string[][];
  /** 1-based line number where each data row starts (for error messages). */
  lines: number[];
}

/** Every row as a list of fields (the header included), with each row's starting line. */
export function parseCsvRows(text: string, fileName = 'CSV'): { rows: string[][]; lines: number[] } {
  const rows: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let fieldWasQuoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    // A line with nothing on it is not a row.
    if (!(row.length === 1 && row[0] === '' && !fieldWasQuoted)) {
      rows.push(row);
      lines.push(rowLine);
    }
    row = [];
    field = '';
    fieldWasQuoted = false;
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field !== '') throw new CsvError(`${fileName}, line ${line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
      quoted = true;
      fieldWasQuoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
      fieldWasQuoted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      if (fieldWasQuoted) throw new CsvError(`${fileName}, line ${line}: text after a closing quote`);
      field += c;
    }
  }
  if (quoted) throw new CsvError(`${fileName}, line ${rowLine}: a quoted field is never closed`);
  if (field !== '' || row.length > 0 || fieldWasQuoted) endRow();
  return { rows, lines };
}

/** Header plus data rows; every data row must have exactly the header's number of fields. */
export function parseCsvTable(text: string, fileName = 'CSV'): CsvTable {
  const { rows, lines } = parseCsvRows(text, fileName);
  if (rows.length === 0) throw new CsvError(`${fileName} is empty (no header row)`);
  const header = rows[0]!.map((h) => h.trim());
  const seen = new Set<string>();
  for (const name of header) {
    if (!name) throw new CsvError(`${fileName}: the header has an empty column name`);
    if (seen.has(name)) throw new CsvError(`${fileName}: column "${name}" appears twice in the header`);
    seen.add(name);
  }
  const data = rows.slice(1);
  data.forEach((r, k) => {
    if (r.length !== header.length) {
      throw new CsvError(`${fileName}, line ${lines[k + 1]}: ${r.length} fields where the header has ${header.length}`);
    }
  });
  return { header, rows: data, lines: lines.slice(1) };
}

/** Data rows as objects keyed by the header's column names. */
export function parseCsv(text: string, fileName = 'CSV'): Record<string, string>[] {
  const { header, rows } = parseCsvTable(text, fileName);
  return rows.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]!])));
}
