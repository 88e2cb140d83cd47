import type { FormattedNumber } from './result-cells.ts';
import { pickSheet } from './checks.ts';
import { columnOf } from './cells.ts';
// A results workbook uses the 1900 date system: dates of a 1904 workbook move by this many days.
import { DATE_1904_OFFSET, describeFormat, numberText, readNumberFormats, type CellFormat } from './number-format.ts';
import { parsePart, readWorkbookParts } from './package.ts';
import { openZip } from './zip.ts';

// An import keeps each cell as the text Excel shows; the workbook itself is kept beside the
// sheet. An export to .xlsx reads the numbers and booleans of the imported sheet again from it, so
// that a price stays a number and a date stays a date in the user's own number format.

/** A number or boolean cell of the imported sheet, as stored. */
interface RawCell {
  boolean: boolean;
  /** The <v> text. */
  value: string;
  style: number;
}

/** A cell's key is its row number times this, plus its 0-based column (room for far more than Excel's 16,384). */
const ROW_STRIDE = 2 ** 20;
/** Rows beyond this could not be told apart in a key (and no imported sheet has them). */
const MAX_ROW = 2 ** 32;

/**
 * The typed cells of a sheet, compactly: some 21 bytes a cell in typed arrays, where a Map of
 * cells per row took ~140 (a million rows of three number columns held 400 MB). The <v> text is
 * kept as a number when the number prints back as it (String(Number(v)) === v, as most do), else
 * as the text itself. A cell given twice keeps its last value, as a Map would.
 */
class TypedCells {
  #keys = new Float64Array(1024);
  #numbers = new Float64Array(1024);
  #styles = new Int32Array(1024);
  #booleans = new Uint8Array(1024);
  readonly #texts = new Map<number, string>();
  #length = 0;
  /** The keys never went down: no sorting needed to search them. */
  #ordered = true;
  /** The cells by key (then by the order they came in), when they did not come in that order. */
  #order: Uint32Array | null = null;

  add(rowNumber: number, column: number, cell: RawCell): void {
    if (column < 0 || column >= ROW_STRIDE || rowNumber < 0 || rowNumber >= MAX_ROW) return;
    if (this.#length === this.#keys.length) this.#grow();
    const i = this.#length;
    const key = rowNumber * ROW_STRIDE + column;
    if (i > 0 && key < (this.#keys[i - 1] as number)) this.#ordered = false;
    this.#keys[i] = key;
    const number = Number(cell.value);
    this.#numbers[i] = number;
    if (String(number) !== cell.value) this.#texts.set(i, cell.value);
    this.#styles[i] = cell.style;
    this.#booleans[i] = cell.boolean ? 1 : 0;
    this.#length = i + 1;
  }

  #grow(): void {
    const size = Math.ceil(this.#keys.length * 1.5);
    const grown = <T extends Float64Array | Int32Array | Uint8Array>(array: T, make: (n: number) => T): T => {
      const bigger = make(size);
      bigger.set(array);
      return bigger;
    };
    this.#keys = grown(this.#keys, (n) => new Float64Array(n));
    this.#numbers = grown(this.#numbers, (n) => new Float64Array(n));
    this.#styles = grown(this.#styles, (n) => new Int32Array(n));
    this.#booleans = grown(this.#booleans, (n) => new Uint8Array(n));
  }

  /** Done adding: cells that came out of order are sorted (a stable sort, so the last of a twice-given cell wins). */
  finish(): void {
    if (this.#ordered) return;
    const keys = this.#keys;
    this.#order = Uint32Array.from({ length: this.#length }, (_, i) => i).sort(
      (a, b) => (keys[a] as number) - (keys[b] as number) || a - b,
    );
  }

  get(rowNumber: number, column: number): RawCell | undefined {
    const key = rowNumber * ROW_STRIDE + column;
    const order = this.#order;
    const at = (p: number): number => (order === null ? p : (order[p] as number));
    // The last cell whose key is at most `key`: the one asked for, if there is one.
    let low = 0;
    let high = this.#length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#keys[at(middle)] as number) <= key) low = middle + 1;
      else high = middle;
    }
    if (low === 0) return undefined;
    const i = at(low - 1);
    if (this.#keys[i] !== key) return undefined;
    return {
      boolean: this.#booleans[i] === 1,
      value: this.#texts.get(i) ?? String(this.#numbers[i]),
      style: this.#styles[i] as number,
    };
  }
}

export type TypedInput = FormattedNumber | boolean;

export interface TypedSheet {
  /**
   * The typed value of the cell at a 1-based worksheet row and a 0-based column, when it is a
   * number or a boolean whose text, as Excel shows it, is `text` (the text the import kept).
   */
  lookup(rowNumber: number, column: number, text: string): TypedInput | undefined;
}

/** Reads the number and boolean cells of one sheet of a workbook (a formula's saved result included). */
export async function readTypedSheet(bytes: Uint8Array, sheetName: string): Promise<TypedSheet> {
  const zip = openZip(bytes, 'the imported workbook');
  const workbook = await readWorkbookParts(zip, 'the imported workbook');
  const chosen = pickSheet(workbook.sheets, sheetName, 'the imported workbook');
  const patterns = await readNumberFormats(zip, workbook.styles);
  const cells = new TypedCells();
  let rowNumber = 0;
  let column = 0;
  let current: RawCell | null = null;
  let inValue = false;
  await parsePart(zip, chosen.entry, {
    open: (name, attributes) => {
      if (name === 'row') {
        const r = Number(attributes.r);
        rowNumber = Number.isInteger(r) && r >= 1 ? r : rowNumber + 1;
        column = 0;
      } else if (name === 'c') {
        const at = attributes.r === undefined ? 0 : columnOf(attributes.r);
        column = at > 0 ? at : column + 1;
        const type = attributes.t ?? 'n';
        const style = Number(attributes.s ?? 0);
        current =
          type === 'n' || type === 'b'
            ? { boolean: type === 'b', value: '', style: Number.isInteger(style) && style >= 0 ? style : 0 }
            : null;
      } else if (name === 'v') {
        inValue = current !== null;
      }
    },
    close: (name) => {
      if (name === 'v') inValue = false;
      else if (name === 'c' && current !== null) {
        if (current.value.trim() !== '') cells.add(rowNumber, column - 1, current);
        current = null;
      }
    },
    text: (text) => {
      if (inValue && current !== null) current.value += text;
    },
  });
  cells.finish();
  const formats: CellFormat[] = [];
  const formatOf = (style: number): CellFormat => (formats[style] ??= describeFormat(patterns[style]));
  return {
    lookup(r, c, text) {
      const cell = cells.get(r, c);
      if (cell === undefined) return undefined;
      if (cell.boolean) {
        const value = parseInt(cell.value, 10) !== 0;
        return text === (value ? 'TRUE' : 'FALSE') ? value : undefined;
      }
      const format = formatOf(cell.style);
      const number = parseFloat(cell.value);
      if (!Number.isFinite(number) || numberText(cell.value, format, workbook.date1904) !== text) return undefined;
      const serial = workbook.date1904 && format.calendar ? number + DATE_1904_OFFSET : number;
      return format.pattern === undefined ? { number: serial } : { number: serial, format: format.pattern };
    },
  };
}
