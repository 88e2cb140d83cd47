/**
 * Is the first row of a table its header, and is a row above it a title? Decided from the
 * kinds of the cells: a header names columns, so its cells are words (or years, as in
 * `region,2022,2023`) where the rows below hold numbers, dates, addresses…
 */

export type CellKind = 'empty' | 'year' | 'integer' | 'number' | 'date' | 'email' | 'url' | 'text';

const INTEGER = /^[-+]?\d+$/;
const NUMBER = /^[-+]?(\d{1,3}(,\d{3})+|\d+)?([.,]\d+)?(e[-+]?\d+)?%?$/i;
const DATE = /^(\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const URL = /^(https?:\/\/|www\.)\S+$/i;

export function cellKind(cell: string): CellKind {
  const text = cell.trim();
  if (text === '') return 'empty';
  const plain = text.replace(/^[$€£¥]/, '');
  if (INTEGER.test(plain)) {
    const n = Number(plain);
    return plain.length === 4 && n >= 1800 && n <= 2199 ? 'year' : 'integer';
  }
  if (NUMBER.test(plain) && /\d/.test(plain)) return 'number';
  if (DATE.test(text)) return 'date';
  if (EMAIL.test(text)) return 'email';
  if (URL.test(text)) return 'url';
  return 'text';
}

const NUMERIC: ReadonlySet<CellKind> = new Set(['year', 'integer', 'number']);

/** The kind most of a column's filled cells share (80 %), or null when it is mixed. */
function dominant(kinds: CellKind[], same: (a: CellKind, b: CellKind) => boolean): CellKind | null {
  for (const kind of new Set(kinds)) {
    if (kinds.filter((k) => same(k, kind)).length / kinds.length >= 0.8) return kind;
  }
  return null;
}

/**
 * Is the first row data rather than a header? Columns whose body is words do not vote (a
 * word above words says nothing). Every other column votes "data" when its first cell is of
 * the kind its body is (a number over numbers, a date over dates) or blank (a header leaves
 * no gap above amounts or addresses; a row that stops early says nothing of the columns past
 * its end), and "header" when not (a word over numbers; a year
 * over amounts). Ties keep the header. Numbers in a header must be distinct, as column names are.
 */
export function firstRowIsData(first: readonly string[], body: readonly string[][]): boolean {
  if (body.length === 0) return false;
  let data = 0;
  let header = 0;
  for (let c = 0; c < first.length; c += 1) {
    const kinds = body.map((row) => cellKind(row[c] ?? '')).filter((k) => k !== 'empty');
    if (kinds.length === 0) continue;
    const kind = cellKind(first[c] ?? '');
    const exact = dominant(kinds, (a, b) => a === b);
    if (exact === 'text') continue;
    if (exact !== null) {
      if (kind === exact || kind === 'empty') data += 1;
      else header += 1;
      continue;
    }
    // Mixed numbers (120 and 45.00): any number over them is data.
    const loose = dominant(kinds, (a, b) => NUMERIC.has(a) === NUMERIC.has(b));
    if (loose === null || !NUMERIC.has(loose)) continue;
    if (NUMERIC.has(kind) || kind === 'empty') data += 1;
    else header += 1;
  }
  if (header > data) {
    const numbers = first.filter((cell) => NUMERIC.has(cellKind(cell))).map((cell) => cell.trim());
    if (new Set(numbers).size !== numbers.length) return true;
  }
  return data > header;
}

/**
 * Could `row` be the header of `body`, with the rows above it a title? Only a row of
 * column names: at least two, distinct, words or years (never an address, an amount or a
 * date), and not data by the vote above.
 */
export function looksLikeHeader(row: readonly string[], body: readonly string[][]): boolean {
  const filled = row.map((cell) => cell.trim()).filter((cell) => cell !== '');
  if (filled.length < 2 || new Set(filled.map((cell) => cell.toLocaleLowerCase())).size !== filled.length) return false;
  if (!filled.every((cell) => ['text', 'year'].includes(cellKind(cell)))) return false;
  return body.length > 0 && !firstRowIsData(row, body);
}
